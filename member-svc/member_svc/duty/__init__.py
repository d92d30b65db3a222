"""The duty-performance ledger (履职档案, 履职积分): DOMAIN.md §5, rules 23–27."""
