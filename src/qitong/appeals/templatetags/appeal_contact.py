"""``{% appeal_contact appeal %}``: a case's contact person and phone as the viewer may see them.

The phone is masked for everyone but the enterprise that gave it
(``access.contact_phone_for``); whoever handles the case gets a link to reveal
it with a reason (``appeal-contact-reveal``).
"""

from django import template

from qitong.appeals import access

register = template.Library()


@register.inclusion_tag("appeals/includes/contact.html", takes_context=True)
def appeal_contact(context, appeal):
    user = context["request"].user
    return {
        "appeal": appeal,
        "phone": access.contact_phone_for(user, appeal),
        "may_reveal": bool(appeal.contact_phone)
        and not access.is_owner(user, appeal)
        and access.may_reveal_contact(user, appeal),
    }
