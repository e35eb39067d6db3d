"""Fetching IRCC's rounds feed with Scrapy and turning it into validated items. Knows nothing of storage."""
