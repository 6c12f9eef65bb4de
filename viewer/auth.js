// changewatch viewer: sign-in for `serve --users` (docs/access.md). Asks /api/session who is signed
// in; without a session it shows the sign-in form and app.js waits. Signed in, the header shows the
// user, role and a sign-out button, and a viewer's page has no decision controls at all. Every
// state-changing request carries the session's CSRF token (cwAuth.headers()). Without --users the
// server answers as the local operator and nothing here shows.
'use strict';

window.cwAuth = (() => {
  let session = null;
  const q = (sel) => document.querySelector(sel);

  function showLogin(message) {
    const box = document.createElement('div');
    box.id = 'login';
    box.innerHTML = `<form id="login-form" autocomplete="on">
      <h1>changewatch review</h1><p>Sign in to see the runs shared with you.</p>
      <label>User <input id="login-user" name="username" autocomplete="username" required maxlength="64"></label>
      <label>Password <input id="login-password" name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit" id="login-submit">Sign in</button>
      <div id="login-error" role="alert"></div></form>`;
    document.body.append(box);
    if (message) q('#login-error').textContent = message;
    q('#login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { user: q('#login-user').value, password: q('#login-password').value };
      const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (r.ok) { location.reload(); return; }
      const j = await r.json().catch(() => ({}));
      q('#login-error').textContent = j.error || `HTTP ${r.status}`;
      q('#login-password').value = '';
    });
    q('#login-user').focus();
  }

  async function signOut() {
    await fetch('/api/logout', { method: 'POST', headers: headers() });
    location.reload();
  }

  function applySession(s) {
    if (!s.auth) return;
    const who = document.createElement('div');
    who.id = 'signed-in';
    const aois = s.aois.includes('*') ? 'all AOIs' : s.aois.join(', ');
    who.append(`Signed in as ${s.user} (${s.role}; ${aois}) `);
    const out = document.createElement('button');
    out.id = 'sign-out';
    out.textContent = 'Sign out';
    out.addEventListener('click', signOut);
    who.append(out);
    q('#side header').append(who);
    // The reviewer is whoever signed in; a viewer gets no decision controls at all.
    q('#reviewer')?.remove();
    if (!s.can_decide) {
      for (const sel of ['#detail .buttons', '#comment']) q(sel)?.remove();
      q('#evidence-section .hint')?.replaceChildren('j/k move');
    }
  }

  function headers() { return session && session.csrf ? { 'X-CSRF-Token': session.csrf } : {}; }

  const ready = (async () => {
    const r = await fetch('/api/session');
    if (r.status === 401) {
      showLogin();
      return new Promise(() => {});  // the page reloads after sign-in
    }
    if (!r.ok) throw new Error(`/api/session: HTTP ${r.status}`);
    session = await r.json();
    applySession(session);
    return session;
  })();

  return {
    ready,
    headers,
    canDecide: () => !session || session.can_decide,
    signedIn: () => !!(session && session.auth),
    // A request answered 401 mid-session: the session expired; sign in again.
    expired: () => { if (!q('#login')) showLogin('Your session expired; sign in again.'); },
  };
})();
