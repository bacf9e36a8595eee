"""Schema migrations, applied in name order at start.

Number ranges keep features from colliding: 0001-0099 foundation, 0100-0199 identity,
0200-0299 benefits/shop/orders, 0300+ later features.
"""
