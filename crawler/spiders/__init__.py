"""Spiders: one `SiteSpider` class, specialised per site profile by the spider loader."""
