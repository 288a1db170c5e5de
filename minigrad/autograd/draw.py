def draw(*a, **k): raise NotImplementedError
