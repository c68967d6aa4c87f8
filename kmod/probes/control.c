// SPDX-License-Identifier: GPL-2.0
/*
 * The positive control: it must compile against every kernel.  If it does
 * not, the probes failed for a reason of their own (missing compiler or
 * header, no /proc for objtool in a build chroot) and every HAVE_* would be
 * wrong: gen-config.sh stops the build.
 */
#include <linux/mm.h>
#include <linux/module.h>

unsigned long dn_probe(struct vm_area_struct *vma);
unsigned long dn_probe(struct vm_area_struct *vma)
{
	return vma_pages(vma);
}
