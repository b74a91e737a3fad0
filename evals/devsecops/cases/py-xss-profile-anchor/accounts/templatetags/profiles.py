from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def profile_link(profile):
    if not profile.website or not profile.website.startswith(("https://", "http://")):
        return profile.display_name
    return format_html('<a href="{}" rel="nofollow">{}</a>', profile.website, profile.display_name)
