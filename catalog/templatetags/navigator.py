"""Facet controls of the search page, rendered in Python: ~80 options per page would otherwise
be the slowest part of rendering it (each option is half a dozen template nodes)."""

from collections.abc import Sequence

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from catalog.search import FacetValue

register = template.Library()


@register.simple_tag
def facet_checkboxes(values: Sequence[FacetValue], name: str) -> SafeString:
    """One labelled checkbox per value, with the number of programs it would show."""
    return format_html_join(
        "\n",
        '<div class="option{}"><label><input type="checkbox" name="{}" value="{}"{}> {}</label>'
        '<span class="count" aria-label="{} программ">{}</span></div>',
        (
            (
                "" if v.count or v.selected else " empty",
                name,
                v.value,
                SafeString(" checked") if v.selected else "",
                v.label,
                v.count,
                v.count,
            )
            for v in values
        ),
    )


@register.simple_tag
def facet_select_options(values: Sequence[FacetValue]) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{} ({})</option>',
        ((v.value, SafeString(" selected") if v.selected else "", v.label, v.count) for v in values),
    )
