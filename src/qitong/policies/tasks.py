"""Background work of the policy library, run by the schedule: the crawl cycle, the push of
new policies and the daily digest."""

from celery import shared_task

from qitong.core import clock
from qitong.policies import actions, classify, crawler


@shared_task(name="qitong.policies.tasks.crawl")
def crawl():
    """One crawl cycle (skipped, returning None, while another one holds the lease).

    A cycle that found new policies pushes them at once, not at the push job's next
    turn: a policy is to reach its enterprises within seconds of its publication. As
    many as it found, so that a backlog (a new installation's first cycles) stays the
    push job's and never holds up the next cycle.
    """
    summary = crawler.run_cycle()
    if summary and summary["new"]:
        actions.push_new_policies(clock.now(), limit=summary["new"])
    return summary


@shared_task(name="qitong.policies.tasks.push_new_policies")
def push_new_policies():
    """Match the new policies and push them to the enterprises they fit; returns the counts."""
    return actions.push_new_policies(clock.now())


@shared_task(name="qitong.policies.tasks.send_digests")
def send_digests():
    """The daily digest e-mails, from ``actions.DIGEST_HOUR`` on; returns the counts."""
    return actions.send_digests(clock.now())


@shared_task(name="qitong.policies.tasks.train_classifier")
def train_classifier():
    """Train the category model again from the library (staff's and the rules' categories)."""
    return classify.train()
