"""The gateway: routing to the owning service, token checks, rate limits, merged OpenAPI. No business
rules and no database live here."""
