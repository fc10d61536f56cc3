"""Background work of the policy library, run by the schedule: the crawl cycle and the
classifier's daily training."""

from celery import shared_task

from qitong.policies import classify, crawler


@shared_task(name="qitong.policies.tasks.crawl")
def crawl():
    """One crawl cycle (skipped, returning None, while another one holds the lease)."""
    return crawler.run_cycle()


@shared_task(name="qitong.policies.tasks.train_classifier")
def train_classifier():
    """Train the category model again from the library (staff's and the rules' categories)."""
    return classify.train()
