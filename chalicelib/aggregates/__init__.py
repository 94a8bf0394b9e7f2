"""What the stream consumer keeps besides events: figures across members, never written on a
member's own path (a checkout transaction holds only its member's items and its own records)."""
