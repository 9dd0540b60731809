"""The project's Scrapy commands (``COMMANDS_MODULE``): Scrapy's own, telling the truth."""
