/*
 * strsort - indices sorted by the byte strings they name
 *
 * The model sorts its addresses and the renderers their rows: millions
 * of short strings that share long prefixes ("firstname.lastname@").
 * A comparison sort walks them byte by byte from the start every time;
 * here each string is read four bytes at a time, once per level, and
 * the indices are radix sorted on those words: a level only looks at
 * the strings still tied with others.
 *
 * The caller says how to read a string: word(ctx, idx, at) is the four
 * bytes of string idx from byte at on, the first in the high bits,
 * zero past the string's end (a string holds no NUL byte). word is
 * called only at an offset the string reaches: at 0, or after a word
 * whose last byte was not 0.
 *
 * The sort is stable: equal strings keep their order in v.
 */
#ifndef SPLITSYNC_STRSORT_H
#define SPLITSYNC_STRSORT_H

#include <stddef.h>
#include <stdint.h>

/* strsort_word_fn - four bytes of string idx from byte at */
typedef uint32_t (*strsort_word_fn)(void *ctx, uint32_t idx, size_t at);

/* strsort_word - the word of a NUL-terminated string s from at, for
 * word functions over C strings */
uint32_t strsort_word(const char *s, size_t at);

/* strsort - sort the n indices of v by their strings. ERR_NOMEM (v is
 * as it was) */
int strsort(uint32_t *v, size_t n, strsort_word_fn word, void *ctx);

#endif
