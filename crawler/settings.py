"""Every default of the project, in one place; docs/settings.md documents each one.

Nothing here needs changing for the crawler to be polite: the defaults are the polite ones.
Settings are grouped by the package that implements them. This module is the project's
settings module (scrapy.cfg, the ``scrapy`` entry point, ``crawler crawl``) and the source
of the add-ons' defaults: ``crawler.addons.Politeness`` and ``Tracklists`` apply the names
they own (listed there) in any Scrapy project, and switch the components on; the project
itself is wired by those add-ons, listed at the end.
"""

from __future__ import annotations

import os

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"  # `scrapy crawl`: one-line start-up errors, exit codes
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_FORMATTER = "crawler.logsafe.ItemsLogFormatter"  # no "Scraped from" record below DEBUG
LOG_LEVEL = "INFO"

# Scrapy 2.19 turns on a code-running HTTP server on localhost; a crawler that can be
# pointed at pages written by strangers has no business running one.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- Bounds (Politeness; README "What happens when things break") ------------------------
# Tracklist pages are tens to hundreds of kB: a few MB is generous, and a compressed bomb
# is refused once it expands past it (Scrapy's own default is 1 GiB).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30  # seconds for one whole download (Scrapy's default: 180)
RETRY_TIMES = 1  # one retry of a failed or timed-out request (Scrapy's default: 2)
SHUTDOWN_DOWNLOAD_GRACE = 2.0  # on SIGTERM/Ctrl-C, downloads still running after this stop
MAX_LINKS_PER_PAGE = 1000  # links followed from one page; the rest are counted and logged

# --- Identity (crawler/politeness/useragent.py) ------------------------------------------
# USER_AGENT: when the user sets it, it is used as is; otherwise the User-Agent is built as
# "PoliteTracklistCrawler/<version> (+<about URL>; <CONTACT>)".
USER_AGENT = None
CONTACT = ""  # a URL or e-mail address; public hosts are refused until there is one

# --- Safety (crawler/politeness/private_hosts.py) -----------------------------------------
ALLOW_PRIVATE_HOSTS = False  # refuse hosts resolving to any address that is not global
ALLOWED_PRIVATE_NETWORKS: list[str] = []  # with the guard on, these pass (a lab, an intranet)

# --- Crawl shape (crawler/spiders/sets.py) -------------------------------------------------
DEPTH_PRIORITY = 0

# --- Store and feeds (crawler/pipelines/, crawler/store/, crawler/feeds.py) -----------------
# The pipelines (normalize 100, store 800) and the CSV exporter are Tracklists' components.
# or postgresql+psycopg://user@host/db; the environment's DATABASE_URL first, as `crawler
# export`, `serve` and `duplicates` read it, so that a crawl stores where they look (`-s` wins)
default_database_url = "sqlite:///data/crawler.db"  # lower case: not a setting of its own
DATABASE_URL = os.environ.get("DATABASE_URL") or default_database_url
STORE_BATCH_SIZE = 200  # sets per transaction at most...
STORE_FLUSH_SECONDS = 0.5  # ...or the sets that came within this, whichever is first
CONCURRENT_ITEMS = 16  # items of one response in the pipelines at once (Scrapy: 100 tasks each)
SPOOL_DIR = "data/spool"  # sets the store could not take wait here (crawler/store/spool.py)
STORE_RETRY_MAX_DELAY = 60.0  # longest wait (s) between retries while the database is away
MAX_TRACKS_PER_SET = 5000  # a longer tracklist is cut there, with a warning; 0: no cap
GC_THRESHOLD = 50_000  # allocations between young collections (Python: 700); 0: Python's

# --- Imports (crawler/exports/, crawler/spiders/exports.py) --------------------------------
IMPORT_MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are refused unread
IMPORT_PROCESSES = None  # reader processes; None: one per core (at most 4), 0: none
IMPORT_MAX_DEPTH = 64  # folders deeper than this below a given folder are skipped, reported

# --- MusicBrainz (crawler/spiders/musicbrainz.py, crawler/enrich/) -------------------------
# The web service's root; point it at a mirror (or a test server) if you run one. Requests
# to it follow robots.txt and the site terms of its host like any others.
MUSICBRAINZ_API_URL = "https://musicbrainz.org/ws/2"
ENRICH_MIN_SCORE = 85.0  # `crawler enrich musicbrainz`: matches below this are refused

# --- Sources that say yes (crawler/spiders/kexp.py, setlistfm.py, mixesdb.py) -------------
# The roots of their APIs (a mirror or a test server may stand in); requests follow the
# robots.txt and site terms of the host they go to, daily quotas included.
KEXP_API_URL = "https://api.kexp.org/v2"
SETLISTFM_API_URL = "https://api.setlist.fm/rest/1.0"
SETLISTFM_API_KEY = ""  # your key (https://www.setlist.fm/settings/api); sent as x-api-key only
MIXESDB_API_URL = "https://www.mixesdb.com/db/api.php"

# --- Politeness (crawler/politeness/, documented in docs/politeness.md) --------------------
ROBOTSTXT_OBEY = True  # robots.txt per RFC 9309 (crawler.politeness.robots)
ROBOTSTXT_CACHE_SECONDS = 24 * 3600  # re-fetch a host's robots.txt after this (max 24 h)
ROBOTSTXT_RETRY_DELAY = 30.0  # first retry of an unreachable robots.txt; doubles each time
ROBOTSTXT_RETRY_TIMES = 3  # failed robots.txt attempts a host's requests wait through
ROBOTSTXT_MAX_BYTES = 500 * 1024  # rules past this are ignored (RFC 9309 asks for >= 500 KiB)
ROBOTSTXT_MAX_REDIRECTS = 5  # robots.txt redirects followed (RFC 9309: at least five)
CONCURRENT_REQUESTS = 256  # many hosts in parallel (the frontier hands out one per host)
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # ...one request at a time per host
SCHEDULER_PRIORITY_QUEUE = "crawler.politeness.frontier.HostAwarePriorityQueue"  # no host hogs
DOWNLOAD_DELAY = 0  # floor of every host's gap (s); the per-host clock does the waiting
DOWNLOAD_DELAY_JITTER = 0  # Scrapy's jitter can shorten a gap; PACE_JITTER only lengthens
CRAWL_DELAY_DEFAULT = 1.0  # gap (s) for hosts whose robots.txt gives no Crawl-delay/rate
CRAWL_DELAY_MAX = 30.0  # a host asking for a longer gap is skipped for the run
PACE_JITTER = 0.0  # random lengthening of each gap, as a fraction (0.1 = up to +10 %)
PACE_LATENCY_RATIO = 1.0  # a host slower than its gap gets gap = latency x this
PACE_FACTOR_MAX = 16.0  # cap of the slow-down factor (errors double it)
PACE_BACKOFF_START = 1.0  # error back-off gap unit (s) for hosts whose allowed gap is shorter
PACE_CLOCK = "crawler.politeness.clock.LocalHostClock"  # the per-host clock backend
# What the paced handler fetches with: the rendering handler, which fetches plainly unless
# the site terms allow JavaScript (crawler/render/).
PACE_HTTP_HANDLER = "crawler.render.handler.RenderingDownloadHandler"
RETRY_AFTER_MAX = 3600.0  # a longer Retry-After drops the host for the run
RETRY_AFTER_TIMES = 3  # retries of one request answered 429/503
SITE_POLICY_FILE = None  # your own [[site]] terms (TOML), on top of the shipped ones
ROBOTS_META_OBEY = True  # <meta name="robots"> / X-Robots-Tag: nofollow, noindex, none
NOINDEX_DROPS_ITEMS = True  # sets from noindex pages are neither stored nor exported
TDM_RESERVATION_DROPS_ITEMS = True  # same for pages whose rights holder reserves TDM
TDMREP_FETCH_WELLKNOWN = True  # read /.well-known/tdmrep.json (once per host, paced)

# --- JavaScript rendering (crawler/render/, documented in docs/rendering.md) ---------------
# Pages render only where the site terms say render_js = true and the plain HTML holds no
# tracklist; every browser sub-request is checked against robots.txt and paced on the host's
# clock.
RENDER_ENABLED = True  # off: never render, whatever the site terms say
RENDER_BROWSER_PATH = "/usr/bin/chromium"  # Debian's package "chromium"
RENDER_MAX_PAGES = 8  # pages open (rendering, or kept for the next render) over all hosts
RENDER_CONTEXT_PER_HOST = False  # a browser context per host (a renderer process each)
RENDER_MAX_CONTEXTS = 16  # per-host contexts kept open; least recently used closed beyond
RENDER_TIMEOUT = 30.0  # seconds for one page, its paced sub-requests included
RENDER_WAIT_UNTIL = "settled"  # load, then the page's sub-requests done (or a Playwright state)
RENDER_SETTLE = 0.1  # "settled": seconds with no sub-request in flight or waiting its turn
# Chromium's flags: no phoning home, no GPU, no sandbox; one renderer process for every page
# (docs/rendering.md says why site isolation is off), GPU and network in the browser process,
# and no omnibox pop-up pages (a renderer each, in a browser no one looks at). Chromium keeps
# only the last --enable-features / --disable-features it is given, so Playwright's own are
# repeated here (tests/render/test_browser_flags.py checks that none is lost).
RENDER_BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    "--no-zygote", "--in-process-gpu", "--disable-site-isolation-trials",
    "--renderer-process-limit=1",
    "--enable-features=NetworkServiceInProcess2,"
    "CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,"
    "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,"
    "HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,"
    "ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,TcpPortRandomizationWin,"
    "OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch,"
    "msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion",
]  # fmt: skip
# What a page may load to build its content; images, media and fonts are refused at start-up
RENDER_RESOURCE_TYPES = ["document", "script", "stylesheet", "xhr", "fetch"]
# The rendering handler's handler for everything it does not render
# (Scrapy's HTTP/1.1 handler, keeping the server's status line for the archive)
RENDER_PLAIN_HANDLER = "crawler.archive.http11.StatusLineHTTP11DownloadHandler"

# --- Incremental and scheduled crawls (crawler/incremental/, crawler/schedule/) ------------
# Pages the store has seen are asked for with If-None-Match / If-Modified-Since; a 304 is not
# parsed, the page's stored links are followed instead. docs/scheduling.md documents these.
INCREMENTAL_ENABLED = True  # off: every page fetched in full, nothing recorded
INCREMENTAL_CACHE_MAX = 100_000  # stored pages per host held in memory; more: a query each
INCREMENTAL_FLUSH_SECONDS = 0.0  # 0: page records written at once; > 0: batched this long
CRAWL_NAME = None  # the scheduled crawl's name, for its crawl_runs row (set by the schedule)
CRAWL_LOCK_OWNER = None  # the schedule's lock token: the crawl keeps the lock's heartbeat
CRAWL_LOCK_HEARTBEAT = 30.0  # seconds between heartbeats of the crawl's lock

# --- Cluster (crawler/cluster/, documented in docs/scaling.md) -----------------------------
# -s REDIS_URL=redis://host:port/db alone turns a crawl into one worker of a cluster: shared
# frontier, per-host clock in Redis (the add-on below swaps the components).
REDIS_URL = None  # None: one process, nothing shared
IDLE_TIMEOUT = 30.0  # a worker stops once the whole frontier has been idle this long (s)
CLUSTER_LEASE_TIMEOUT = 30.0  # a dead worker's requests go back to the frontier after this
CLUSTER_POLL_INTERVAL = 0.1  # longest wait before asking the frontier again (s)
CLUSTER_KEY_PREFIX = "crawler"  # Redis keys: <prefix>:crawl:<name>:..., <prefix>:clock:<host>
CLUSTER_CLOCK_MARGIN = 0.001  # added to every gap against clock-offset estimates (s)
CLUSTER_CLOCK_TTL = 24 * 3600.0  # a host's shared clock record outlives its last request
CLUSTER_CRAWL = None  # crawl name when -a crawl=NAME is not given (default: spider name)

# --- Wiring: the add-ons (crawler/addons.py) ---------------------------------------------
# The components of the politeness stack and of the store are switched on by the add-ons,
# as in any Scrapy project that lists them; the defaults above are theirs (each add-on
# names the ones it applies), the rest of this file is what is specific to this project.
ADDONS = {
    "crawler.addons.Politeness": 100,  # identity, robots.txt, pace, terms, meta robots, TDM
    "crawler.addons.Tracklists": 200,  # normalize, store, CSV feed, incremental crawls
    "crawler.cluster.ClusterAddon": 500,  # REDIS_URL set: shared frontier, clock, filter
}
# Scrapy's remote control is left out of the base list, not set to None in EXTENSIONS:
# listed at all, Scrapy imports it (and aiohttp with it, a fifth of a second of every
# start) to read its priority. REMOTE_CONTROL_ENABLED keeps it off in any case.
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}

# --- Unattended crawls (crawler/monitor/, crawler/commands/, docs/monitoring.md) -----------
# The outcome of every crawl (ok / partial / failed / refused) in its stats, its crawl_runs
# row and its exit code; one summary line at the end; progress while it runs; metrics. The
# components are Tracklists'.
EXTRACTION_ALERT_RATIO = 0.2  # a site's set pages without a tracklist above this share: alarm
EXTRACTION_ALERT_MIN_PAGES = 10  # ...once at least this many were expected to hold one; 0: off
PROGRESS_BAR = True  # a live status line when stderr is a terminal (the schedule turns it off)
PROGRESS_LOG_SECONDS = 60.0  # otherwise a progress log line this often; 0: none
METRICS_PORT = 0  # > 0: serve this crawl's Prometheus metrics on 127.0.0.1:PORT/metrics
CRAWL_RUNS_RECORD = True  # one crawl_runs row per crawl, with the politeness figures

# --- crawler serve (crawler/serve/, README "The archive as a service") -------------------
SERVE_RATE_LIMIT = None  # e.g. "60/minute": per API key and per client address; None: no limit
SCRAPYD_URL = None  # set: crawls started over HTTP run on this scrapyd, not in the server
SCRAPYD_PROJECT = "crawler"  # the scrapyd project they run in (scrapyd-deploy's)

# --- Archive (crawler/archive/, README "Keep what you fetch") -------------------------------
# Every response as received, with its request and what permitted it, in WARC 1.1 files with a
# CDXJ index each (`crawler crawl ... --warc DIR`); `crawler reextract --warc DIR` re-reads them.
WARC_DIR = None  # a folder: archive the crawl there; None: no archive
WARC_MAX_BYTES = 1024**3  # a WARC file is closed (and indexed) once it reaches this size
