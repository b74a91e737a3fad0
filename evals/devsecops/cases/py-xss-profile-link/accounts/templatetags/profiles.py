from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def profile_link(profile):
    if not profile.website:
        return profile.display_name
    return mark_safe(f'<a href="{profile.website}" rel="nofollow">{profile.display_name}</a>')
