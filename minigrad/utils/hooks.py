"""``RemovableHandle``: what every ``register_*_hook`` returns (torch.utils.hooks's).

A hook lives in an ordered dict owned by the thing it is registered on (a tensor, a graph
node, a module, or the global registry), keyed by an id unique in the process. The handle
keeps that id and a weak reference to the dict, so ``handle.remove()`` deletes exactly that
hook, and a handle that outlives its tensor or module keeps neither alive.
"""
import weakref

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Removes one registered hook: ``handle.remove()``, or as a context manager
    (``with t.register_hook(fn): ...`` removes it on exit). Removing twice does nothing."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        # the other dicts keyed by the same id (a module's with_kwargs / always_call sets)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in
                                    ((extra_dict,) if isinstance(extra_dict, dict)
                                     else (extra_dict or ())))

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"
