// When the browser refuses a WebAuthn ceremony, allauth's script only logs the error to the
// console: say it on the page, next to the button, in words.
(function () {
  function isIpAddress (host) {
    return /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[')
  }

  function explain (exception) {
    const name = exception && exception.name
    const host = window.location.hostname
    if (name === 'SecurityError' && isIpAddress(host)) {
      const url = new URL(window.location.href)
      url.hostname = 'localhost'
      return 'Security keys and passkeys need the site\'s name in the address bar, not a number. Open ' + url.href + ' instead.'
    }
    if (name === 'NotAllowedError' || name === 'AbortError') {
      return 'The security key did not answer, or the request was cancelled. Try again.'
    }
    if (name === 'InvalidStateError') {
      return 'This security key is already added to your account.'
    }
    return 'Your browser could not use the security key' + (exception && exception.message ? ': ' + exception.message : '.')
  }

  document.addEventListener('allauth.error', function (event) {
    const tags = (event.detail && event.detail.tags) || []
    const box = document.getElementById('webauthn_error')
    if (!box || !tags.includes('webauthn')) {
      return
    }
    event.preventDefault()
    box.textContent = explain(event.detail.exception)
    box.hidden = false
  })
})()
