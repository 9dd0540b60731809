# Added to the settings.py that `scrapy startproject radioshows` wrote:
ADDONS = {
    "crawler.addons.Politeness": 100,  # identity, robots.txt, pace, terms, meta robots, TDM
    "crawler.addons.Tracklists": 200,  # normalize, store (DATABASE_URL), CSV feed
}
CONTACT = "mailto:me@example.org"  # public hosts are refused until there is one
