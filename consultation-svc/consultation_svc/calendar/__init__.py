"""A member's calendar: upcoming activities as JSON and as an iCalendar feed behind a secret link."""
