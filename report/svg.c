/* svg.c: the SVG writer of svg.h. Small on purpose: figures are rectangles, paths, lines and text,
 * and what matters is that every byte is well-formed XML and the same from run to run.
 *
 * Numbers: "%.2f" and then trailing zeros removed. Two decimals are a hundredth of a pixel, below
 * anything a renderer shows, and a fixed precision makes the output independent of how a double
 * came about (a share computed in another order prints the same). Text: a UTF-8 decoder that accepts
 * exactly the well-formed sequences (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF)
 * and the characters XML 1.0 allows; anything else becomes U+FFFD, control characters a space. The
 * input is a database's text, which any capture can fill (a DNS name, an SNI, a certificate's
 * organization), so nothing of it is trusted.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "svg.h"

const char *ciot_svg_num(char buf[CIOT_SVG_NUM_SIZE], double v)
{
	if (!isfinite(v) || fabs(v) < 0.005)
		v = 0;
	if (v > 1e12)
		v = 1e12;
	if (v < -1e12)
		v = -1e12;
	snprintf(buf, CIOT_SVG_NUM_SIZE, "%.2f", v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf);
		while (end > dot && (end[-1] == '0' || end[-1] == '.')) {
			int was_dot = end[-1] == '.';
			*--end = 0;
			if (was_dot)
				break;
		}
	}
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
	return buf;
}

/* The length of the well-formed UTF-8 sequence at s (1 to 4) with its code point, or 0 when the
 * bytes there are not one. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t min, v;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

size_t ciot_svg_chars(const char *text)
{
	size_t n = 0;
	const unsigned char *s = (const unsigned char *)text;
	while (s && *s) {
		uint32_t cp;
		size_t len = utf8_next(s, &cp);
		s += len ? len : 1;
		n++;
	}
	return n;
}

double ciot_svg_text_width(const char *text, double size)
{
	return (double)ciot_svg_chars(text) * size * 0.6;
}

void ciot_svg_escape(FILE *out, const char *text, size_t max)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t total = max ? ciot_svg_chars(text) : 0, written = 0;
	while (*s) {
		if (max && total > max && written == max - 1) {
			fputs("\xe2\x80\xa6", out); /* the ellipsis: the rest is cut */
			return;
		}
		uint32_t cp;
		size_t len = utf8_next(s, &cp);
		if (!len) {
			fputs("\xef\xbf\xbd", out); /* U+FFFD for a byte that is not UTF-8 */
			s++;
		} else {
			switch (cp) {
			case '&': fputs("&amp;", out); break;
			case '<': fputs("&lt;", out); break;
			case '>': fputs("&gt;", out); break;
			case '"': fputs("&quot;", out); break;
			case '\'': fputs("&#39;", out); break;
			default:
				if (cp < 0x20 || cp == 0x7f)
					fputc(' ', out); /* XML 1.0 forbids most; tabs and newlines would only fold */
				else if (cp == 0xfffe || cp == 0xffff)
					fputs("\xef\xbf\xbd", out);
				else
					fwrite(s, 1, len, out);
			}
			s += len;
		}
		written++;
	}
}

/* A <title> child: the tooltip, formatted and escaped. */
__attribute__((format(printf, 2, 0))) static void title_v(FILE *out, const char *tip, va_list ap)
{
	if (!tip)
		return;
	char text[CIOT_SVG_TEXT_MAX];
	vsnprintf(text, sizeof text, tip, ap);
	fputs("<title>", out);
	ciot_svg_escape(out, text, 0);
	fputs("</title>", out);
}

void ciot_svg_begin(FILE *out, double width, double height, const char *title, const char *desc)
{
	char w[CIOT_SVG_NUM_SIZE], h[CIOT_SVG_NUM_SIZE];
	ciot_svg_num(w, width);
	ciot_svg_num(h, height);
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%s\" height=\"%s\""
		" viewBox=\"0 0 %s %s\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"12\">\n",
		w, h, w, h);
	fputs("<title>", out);
	ciot_svg_escape(out, title, 0);
	fputs("</title>\n<desc>", out);
	ciot_svg_escape(out, desc, 0);
	fprintf(out, "</desc>\n<rect x=\"0\" y=\"0\" width=\"%s\" height=\"%s\" fill=\"#ffffff\"/>\n", w, h);
}

void ciot_svg_end(FILE *out)
{
	fputs("</svg>\n", out);
}

__attribute__((format(printf, 8, 0))) static void rect_v(FILE *out, double x, double y, double w, double h, const char *fill, const char *stroke,
		   const char *tip, va_list ap)
{
	char a[CIOT_SVG_NUM_SIZE], b[CIOT_SVG_NUM_SIZE], c[CIOT_SVG_NUM_SIZE], d[CIOT_SVG_NUM_SIZE];
	fprintf(out, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"", ciot_svg_num(a, x),
		ciot_svg_num(b, y), ciot_svg_num(c, w > 0 ? w : 0), ciot_svg_num(d, h > 0 ? h : 0), fill);
	if (stroke)
		fprintf(out, " stroke=\"%s\" stroke-width=\"1\"", stroke);
	if (tip) {
		fputc('>', out);
		title_v(out, tip, ap);
		fputs("</rect>\n", out);
	} else {
		fputs("/>\n", out);
	}
}

void ciot_svg_rect(FILE *out, double x, double y, double w, double h, const char *fill, const char *tip, ...)
{
	va_list ap;
	va_start(ap, tip);
	rect_v(out, x, y, w, h, fill, NULL, tip, ap);
	va_end(ap);
}

void ciot_svg_rect_outline(FILE *out, double x, double y, double w, double h, const char *fill, const char *stroke,
			   const char *tip, ...)
{
	va_list ap;
	va_start(ap, tip);
	rect_v(out, x, y, w, h, fill, stroke, tip, ap);
	va_end(ap);
}

void ciot_svg_path(FILE *out, const char *d, const char *fill, double opacity, const char *tip, ...)
{
	char o[CIOT_SVG_NUM_SIZE];
	fprintf(out, "<path d=\"%s\" fill=\"%s\" fill-opacity=\"%s\">", d, fill, ciot_svg_num(o, opacity));
	va_list ap;
	va_start(ap, tip);
	title_v(out, tip, ap);
	va_end(ap);
	fputs("</path>\n", out);
}

void ciot_svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke, double width, int dash)
{
	char a[CIOT_SVG_NUM_SIZE], b[CIOT_SVG_NUM_SIZE], c[CIOT_SVG_NUM_SIZE], d[CIOT_SVG_NUM_SIZE],
		e[CIOT_SVG_NUM_SIZE];
	fprintf(out, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
		ciot_svg_num(a, x1), ciot_svg_num(b, y1), ciot_svg_num(c, x2), ciot_svg_num(d, y2), stroke,
		ciot_svg_num(e, width), dash ? " stroke-dasharray=\"4 3\"" : "");
}

void ciot_svg_text(FILE *out, double x, double y, enum ciot_svg_anchor anchor, double size, const char *weight,
		   const char *fill, size_t max, const char *text)
{
	static const char *const anchors[] = { "start", "middle", "end" };
	char a[CIOT_SVG_NUM_SIZE], b[CIOT_SVG_NUM_SIZE], c[CIOT_SVG_NUM_SIZE];
	fprintf(out, "<text x=\"%s\" y=\"%s\" font-size=\"%s\" text-anchor=\"%s\" fill=\"%s\"%s%s%s>",
		ciot_svg_num(a, x), ciot_svg_num(b, y), ciot_svg_num(c, size), anchors[anchor], fill ? fill : "#000000",
		weight ? " font-weight=\"" : "", weight ? weight : "", weight ? "\"" : "");
	bool cut = max && ciot_svg_chars(text) > max;
	if (cut) {
		fputs("<title>", out);
		ciot_svg_escape(out, text, 0);
		fputs("</title>", out);
	}
	ciot_svg_escape(out, text, max);
	fputs("</text>\n", out);
}

void ciot_svg_textf(FILE *out, double x, double y, enum ciot_svg_anchor anchor, double size, const char *fill,
		    const char *fmt, ...)
{
	char text[CIOT_SVG_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	ciot_svg_text(out, x, y, anchor, size, NULL, fill, 0, text);
}

const char *ciot_svg_category_colour(size_t i)
{
	/* Okabe and Ito (2008), ordered so that neighbours differ most; yellow, the faintest on white,
	 * comes last */
	static const char *const palette[] = { "#0072B2", "#E69F00", "#009E73", "#CC79A7",
					       "#56B4E9", "#D55E00", "#000000", "#F0E442" };
	return palette[i % (sizeof palette / sizeof palette[0])];
}

const char *ciot_svg_ramp(double t, char buf[8], int *dark_text)
{
	/* viridis at nine stops (matplotlib's), linear between them */
	static const unsigned char stops[9][3] = {
		{ 68, 1, 84 },    { 71, 44, 122 },  { 59, 81, 139 },   { 44, 113, 142 }, { 33, 144, 141 },
		{ 39, 173, 129 }, { 92, 200, 99 },  { 170, 220, 50 },  { 253, 231, 37 },
	};
	if (!isfinite(t) || t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	double pos = t * 8;
	int i = (int)pos;
	if (i > 7)
		i = 7;
	double f = pos - i;
	int rgb[3];
	for (int k = 0; k < 3; k++)
		rgb[k] = (int)lround(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f);
	snprintf(buf, 8, "#%02x%02x%02x", rgb[0] & 0xff, rgb[1] & 0xff, rgb[2] & 0xff);
	if (dark_text)
		*dark_text = t >= 0.55;
	return buf;
}
