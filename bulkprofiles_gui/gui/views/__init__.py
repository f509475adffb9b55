"""The main window's views: profile databases, segments, tasks."""
