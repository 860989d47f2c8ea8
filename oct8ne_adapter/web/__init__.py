"""The HTTP surface: the frame blueprint, its methods, and what they answer."""
