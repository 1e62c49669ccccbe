/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where the doctor's data and its self-test helper are: the install prefix;
 * the build tree's own when the binary runs from its meson build directory
 * (base/build_tree.h); and in builds with test hooks, RDNA1_DOCTOR_DATADIR
 * and RDNA1_SELFTEST_HELPER first. The strings live until exit.
 */
const char *doctor_datadir(void);
const char *selftest_helper_path(void);
