"""What every list page shares: pagination with a page size the user picks."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20


SEARCH_COUNT_LIMIT = 1000


class CappedPaginator(Paginator):
    """Counts at most ``limit`` + 1 rows: a search over a province's cases stops counting there.

    Past the limit the page says "more than 1,000" and offers the first pages;
    narrowing the search finds the rest.
    """

    def __init__(self, object_list, per_page, *, limit):
        super().__init__(object_list, per_page)
        self.limit = limit

    @cached_property
    def count(self):
        counted = getattr(self.object_list, "count_at_most", None)
        if counted is not None:  # a search that counts its own matches (``core.search``)
            return counted(self.limit + 1)
        # Only the ids, unordered: the shown columns and the sort do not change the count.
        return self.object_list.order_by().values("pk")[: self.limit + 1].count()

    @property
    def capped(self):
        return self.count > self.limit


def paginate(request, queryset, *, default=DEFAULT_PAGE_SIZE, count_at_most=None):
    """The requested page of ``queryset``; returns the context the pagination include needs.

    ``count_at_most`` caps the count (``CappedPaginator``), for searches.
    """
    try:
        size = int(request.GET.get("page_size", default))
    except ValueError:
        size = default
    if size not in PAGE_SIZES:
        size = default
    if count_at_most is None:
        paginator = Paginator(queryset, size)
    else:
        paginator = CappedPaginator(queryset, size, limit=count_at_most)
    page = paginator.get_page(request.GET.get("page"))
    return {"page": page, "page_sizes": PAGE_SIZES}
