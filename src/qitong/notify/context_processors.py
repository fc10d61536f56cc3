def unread(request):
    """The unread count shown on every page (one indexed query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": user.inbox_messages.filter(read_at__isnull=True, in_inbox=True).count()}
