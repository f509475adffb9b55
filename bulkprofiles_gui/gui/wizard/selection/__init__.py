"""The widgets of the selection page: source picker, range and limit, count and preview."""
