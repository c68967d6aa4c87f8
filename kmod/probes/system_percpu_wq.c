// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_SYSTEM_PERCPU_WQ: system_percpu_wq and system_dfl_wq replace
 * system_wq and system_unbound_wq (present in 6.12 and 7.2; 7.2's header
 * says system_wq will be removed, and using it is reported in the kernel
 * log).  6.1 has only the old names.
 */
#include <linux/workqueue.h>

struct workqueue_struct **dn_probe[] = { &system_percpu_wq, &system_dfl_wq };
