"""The Scrapy project: settings, site profiles, spiders, the capture extension, CLI and demo."""
