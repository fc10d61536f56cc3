"""Background work of the policy library: the crawl cycle, run by the schedule."""

from celery import shared_task

from qitong.policies import crawler


@shared_task(name="qitong.policies.tasks.crawl")
def crawl():
    """One crawl cycle (skipped, returning None, while another one holds the lease)."""
    return crawler.run_cycle()
