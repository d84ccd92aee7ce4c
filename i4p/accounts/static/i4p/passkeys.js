// Security keys and passkeys (WebAuthn): asks the browser to create or use a key, and sends its
// answer to the server. Without JavaScript or WebAuthn the section stays hidden and the
// authenticator app's code works as before.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return { publicKey: json };
  }

  function requestOptions(json) {
    json.challenge = toBytes(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return { publicKey: json };
  }

  function credentialJson(credential) {
    var response = credential.response;
    var answer = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      answer.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) answer.response.transports = response.getTransports();
    } else {
      answer.response.authenticatorData = toText(response.authenticatorData);
      answer.response.signature = toText(response.signature);
      if (response.userHandle) answer.response.userHandle = toText(response.userHandle);
    }
    return answer;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (answer) {
      return answer.json().then(function (json) {
        if (!answer.ok) throw new Error(json.message || answer.statusText);
        return json;
      });
    });
  }

  function start(section) {
    var kind = section.getAttribute("data-passkey");
    var token = section.querySelector("[name=csrfmiddlewaretoken]").value;
    var error = section.querySelector("[data-passkey-error]");
    error.hidden = true;
    post(section.getAttribute("data-options-url"), token)
      .then(function (options) {
        return kind === "register"
          ? navigator.credentials.create(creationOptions(options))
          : navigator.credentials.get(requestOptions(options));
      })
      .then(function (credential) {
        var body = { credential: credentialJson(credential) };
        var name = section.querySelector("[name=key_name]");
        if (name) body.name = name.value;
        return post(section.getAttribute("data-answer-url"), token, body);
      })
      .then(function (done) { window.location.assign(done.next || "/"); })
      .catch(function (problem) {
        error.textContent = problem.message || String(problem);
        error.hidden = false;
      });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) return;
  document.querySelectorAll("[data-passkey]").forEach(function (section) {
    section.hidden = false;
    section.querySelector("[data-passkey-start]").addEventListener("click", function () {
      start(section);
    });
  });
})();
