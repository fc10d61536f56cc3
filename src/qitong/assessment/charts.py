"""Charts drawn on the server as SVG: the same drawing in the page and in the bulletin's PDF,
which WeasyPrint renders without any script.

Every text put in a drawing (a unit's name) is escaped; the numbers are formatted here.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

BAR = "#1a5fd0"
WARN = "#c0392b"
GRID = "#d9dde3"
TEXT = "#303133"
FONT = "'WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


def _svg(width, height, title, body):
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="11">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def ranking_bars(rows, *, title, width=640, bar=14, gap=5, label_width=170, warn_below=None):
    """Horizontal bars of scores (0-100), one per ``(label, score, rank)``, best on top.

    A score under ``warn_below`` is drawn in the warning colour.
    """
    top, bottom = 18, 6
    plot = width - label_width - 50
    height = top + bottom + len(rows) * (bar + gap)
    parts = []
    for tick in range(0, 101, 20):
        x = label_width + plot * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - bottom}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{top - 7}" text-anchor="middle" fill="{TEXT}">{tick}</text>'
        )
    for index, (label, score, place) in enumerate(rows):
        y = top + index * (bar + gap)
        length = plot * max(0.0, min(float(score), 100.0)) / 100
        colour = WARN if warn_below is not None and score < warn_below else BAR
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar - 3}" text-anchor="end" fill="{TEXT}">'
            f"{escape(f'{place}. {label}')}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 3}" fill="{TEXT}">'
            f"{score:.2f}</text>"
        )
    return _svg(width, height, title, "".join(parts))


def trend_line(points, *, title, width=640, height=220):
    """A line of monthly scores: ``points`` are ``(label, score or None)``, oldest first.

    A month without a score breaks the line.
    """
    left, right, top, bottom = 36, 12, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)
    parts = []
    for tick in range(0, 101, 20):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">{tick}</text>'
        )
    segment = []
    segments = [segment]
    for index, (label, score) in enumerate(points):
        x = left + step * index
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        if score is None:
            segment = []
            segments.append(segment)
            continue
        y = top + plot_h * (1 - max(0.0, min(float(score), 100.0)) / 100)
        segment.append((x, y))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR}"><title>{escape(label)} '
            f"{score:.2f}</title></circle>"
        )
    for line in segments:
        if len(line) > 1:
            coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
            parts.append(
                f'<polyline points="{coordinates}" fill="none" stroke="{BAR}" stroke-width="2"/>'
            )
    return _svg(width, height, title, "".join(parts))
