/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RL_TESTS_H
#define RL_TESTS_H

struct test {
	const char *name;
	void (*fn)(void);
};

extern const struct test api_tests[];
extern const unsigned int nr_api_tests;
extern const struct test model_tests[];
extern const unsigned int nr_model_tests;
extern const struct test file_lock_tests[];
extern const unsigned int nr_file_lock_tests;
extern const struct test extent_rule_tests[];
extern const unsigned int nr_extent_rule_tests;

#endif
