"""ETag and If-None-Match on the API's reads: an unchanged page answers 304 Not Modified."""

import functools
import hashlib

from django.utils.cache import get_conditional_response, patch_vary_headers


def etag(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        tag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["ETag"] = tag
        # What a caller may read depends on who it is: caches must keep callers apart.
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization", "Cookie"])
        return get_conditional_response(request, etag=tag, response=response)

    return wrapper
