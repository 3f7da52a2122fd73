/* svg.h: the SVG writer the figures draw with (report library, internal).
 *
 * Figures must be standalone SVG 1.1 (no script, no external reference, no font file), readable
 * in a browser and by rsvg-convert, and the same bytes for the same database. So everything a
 * figure writes goes through these few functions:
 *   - numbers through one format (ciot_svg_num: at most two decimals, no exponent, no "-0", never
 *     "nan" or "inf"), so coordinates never depend on a platform's printf of doubles;
 *   - text through one escaper (ciot_svg_escape): the five XML specials as entities, characters
 *     XML 1.0 forbids (control characters) dropped, and bytes that are not UTF-8 replaced by U+FFFD,
 *     so that a device or server named "<script>" or "\x01\xff" still gives a well-formed file;
 *   - every mark with a <title> child (the value a reader sees on hover);
 *   - colours from the Okabe-Ito palette (categorical, colour-blind safe) and a viridis ramp
 *     (sequential, colour-blind safe, readable in grey).
 * The writer keeps no state but the FILE: errors show as ferror(out), checked by the caller.
 */
#ifndef CIOT_REPORT_SVG_H
#define CIOT_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Room for any number ciot_svg_num writes. */
#define CIOT_SVG_NUM_SIZE 32
/* A tooltip or label is formatted into this many bytes at most (longer text is cut, then escaped). */
#define CIOT_SVG_TEXT_MAX 1024

enum ciot_svg_anchor { CIOT_SVG_START, CIOT_SVG_MIDDLE, CIOT_SVG_END };

/* v with at most two decimals, trailing zeros dropped ("12.5", "3", "-0.25"); values that would
 * print as -0 print as 0, and NaN or an infinity as 0. Returns buf. */
const char *ciot_svg_num(char buf[CIOT_SVG_NUM_SIZE], double v);

/* Writes text escaped for XML character data and attribute values (see above); at most `max`
 * characters (code points), the rest replaced by an ellipsis; max 0 means no limit. */
void ciot_svg_escape(FILE *out, const char *text, size_t max);

/* The number of characters (code points) of UTF-8 text, bytes that are not UTF-8 counting one each. */
size_t ciot_svg_chars(const char *text);
/* An estimate of text's width in pixels at a font size, for layout (no font metrics: 0.6 em a
 * character, about DejaVu Sans's average). */
double ciot_svg_text_width(const char *text, double size);

/* The document: the XML declaration, <svg> with its size and viewBox, its <title> and <desc>
 * (escaped), a white background. */
void ciot_svg_begin(FILE *out, double width, double height, const char *title, const char *desc);
void ciot_svg_end(FILE *out);

/* A rectangle; tip (printf-style, may be NULL) becomes its <title>. */
void ciot_svg_rect(FILE *out, double x, double y, double w, double h, const char *fill, const char *tip, ...)
	__attribute__((format(printf, 7, 8)));
/* A rectangle with an outline (stroke), for empty cells and legend keys. */
void ciot_svg_rect_outline(FILE *out, double x, double y, double w, double h, const char *fill, const char *stroke,
			   const char *tip, ...) __attribute__((format(printf, 8, 9)));
/* A path (d as given: only numbers from ciot_svg_num and path letters), filled, with a <title>. */
void ciot_svg_path(FILE *out, const char *d, const char *fill, double opacity, const char *tip, ...)
	__attribute__((format(printf, 5, 6)));
/* A line; dashed when dash is set. */
void ciot_svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke, double width, int dash);
/* Text at (x, y) (its baseline), escaped, cut to max characters (0: all) with the whole text in a
 * <title> when cut. weight is "bold" or NULL. */
void ciot_svg_text(FILE *out, double x, double y, enum ciot_svg_anchor anchor, double size, const char *weight,
		   const char *fill, size_t max, const char *text);
/* The same, printf-style (the formatted text is escaped). */
void ciot_svg_textf(FILE *out, double x, double y, enum ciot_svg_anchor anchor, double size, const char *fill,
		    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The i-th colour of the Okabe-Ito palette (eight colours, cycling past the last), "#rrggbb". */
const char *ciot_svg_category_colour(size_t i);
/* A colour of the viridis ramp for t in [0, 1] (clamped) into buf (8 bytes), "#rrggbb"; and whether
 * text on it should be dark (true) or white. */
const char *ciot_svg_ramp(double t, char buf[8], int *dark_text);

#endif
