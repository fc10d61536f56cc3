"""The reference of bench/crawl.py: a Scrapy spider for the same farm, configured competently.

Run by bench/crawl.py with the Python of a virtualenv that has Scrapy (Scrapy is
not a dependency of Qitong):
``scrapy runspider bench/crawl_scrapy.py -a sources=FILE -a state=DIR``.

What a competent user sets up for a crawl that is repeated every few minutes:

- robots.txt obeyed (``ROBOTSTXT_OBEY``), as Qitong does;
- every page revalidated with its validators instead of downloaded again:
  ``HttpCacheMiddleware`` with ``RFC2616Policy`` stores each answer and, since
  the sites say ``Cache-Control: max-age=0``, asks again with If-None-Match and
  If-Modified-Since; a 304 hands the spider the stored page (with ``no-cache``
  the policy asks again without the validators, a full download each time);
- a detail page already scraped is not requested again (what scrapy-deltafetch
  does: the URLs that gave an item are kept in the state folder between runs),
  and a list's next page is followed only while the page had nothing but new
  entries (Qitong stops at a known entry in the same way);
- the same politeness and parallelism as Qitong's limits: 64 requests at once,
  2 per host, 0.25 s between a host's requests, 20 s a page, 3 MB a page;
  cookies and the telnet console off.

Each item (title, document number, text) goes to a JSON-lines feed in the
state folder. At the end the crawl's stats are written to ``stats.json``
there, for bench/crawl.py to read.
"""

import json
from datetime import datetime
from pathlib import Path

import scrapy


class PolicySpider(scrapy.Spider):
    name = "policies"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.DbmCacheStorage",
        "HTTPCACHE_EXPIRATION_SECS": 0,
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0.25,
        "DOWNLOAD_DELAY_JITTER": 0,
        "DOWNLOAD_TIMEOUT": 20,
        "DOWNLOAD_MAXSIZE": 3 * 1024 * 1024,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": "QitongBenchScrapy/1.0",
        "LOG_LEVEL": "WARNING",
    }

    def __init__(self, sources, state, **kwargs):
        super().__init__(**kwargs)
        self.sources = json.loads(Path(sources).read_text())
        self.state = Path(state)
        self.seen_file = self.state / "seen.json"
        self.seen = (
            set(json.loads(self.seen_file.read_text())) if self.seen_file.exists() else set()
        )

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # Relative to the state folder (the process's working directory).
        settings.set("HTTPCACHE_DIR", "httpcache", priority="spider")
        settings.set(
            "FEEDS", {"items.jsonl": {"format": "jsonlines", "overwrite": False}}, priority="spider"
        )

    async def start(self):
        for url in self.sources:
            yield scrapy.Request(url, callback=self.parse_list)

    def parse_list(self, response):
        links = [
            (response.urljoin(href), href)
            for href in response.css("ul.list a::attr(href)").getall()
        ]
        new = [url for url, _href in links if url not in self.seen]
        for url in new:
            yield scrapy.Request(url, callback=self.parse_detail)
        following = response.css("a.next::attr(href)").get()
        if following and links and len(new) == len(links):
            yield response.follow(following, callback=self.parse_list)

    def parse_detail(self, response):
        self.seen.add(response.url)
        yield {
            "url": response.url,
            "title": response.css(".article h1::text").get(default="").strip(),
            "number": response.xpath(
                "//td[contains(., '发文字号')]/following-sibling::td[1]/text()"
            ).get(default=""),
            "body": "\n".join(response.css(".article p::text").getall()),
        }

    def closed(self, reason):
        self.seen_file.write_text(json.dumps(sorted(self.seen)))
        stats = dict(self.crawler.stats.get_stats())
        if "elapsed_time_seconds" not in stats:  # CoreStats may hear spider_closed after us
            started = stats["start_time"]
            stats["elapsed_time_seconds"] = (datetime.now(started.tzinfo) - started).total_seconds()
        (self.state / "stats.json").write_text(json.dumps(stats, default=str))
