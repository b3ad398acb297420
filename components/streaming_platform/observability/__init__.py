"""AlarmTopics, the alarms on every tier and the dashboard."""
