/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numbers as mpctl writes and reads them.  Its own header, with no other
 * dependency, so that examples/devmem_rx parses --size exactly as
 * "mpctl attach --udmabuf" does.
 */
#ifndef MPCTL_SIZE_H
#define MPCTL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* "64M" -> 67108864; K/M/G/T (powers of 1024, optional "iB"/"B").  -1 on error. */
int size_parse(const char *s, uint64_t *size);
/* 1610612736 -> "1.5 GiB": powers of 1024, one decimal rounded down. */
void size_format(uint64_t size, char *buf, size_t len);
/* A non-negative decimal int no larger than @max.  -1 on error. */
int uint_parse(const char *s, unsigned long max, unsigned long *val);

#endif /* MPCTL_SIZE_H */
