"""What every list page shares: pagination with a page size the user picks."""

from django.core.paginator import Paginator

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20


def paginate(request, queryset, *, default=DEFAULT_PAGE_SIZE):
    """The requested page of ``queryset``; returns the context the pagination include needs."""
    try:
        size = int(request.GET.get("page_size", default))
    except ValueError:
        size = default
    if size not in PAGE_SIZES:
        size = default
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    return {"page": page, "page_sizes": PAGE_SIZES}
