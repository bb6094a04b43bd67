// The operator console (served at /console/console.js by omnid): sign-in,
// the live inbox, a conversation with its customer panel, the dashboard,
// knowledge, team and keys, and billing; each page and control shown only
// to the roles whose permissions (GET /v1/console/me) allow it. It talks only to omnid's operator API (/v1/console/...), builds
// every node with textContent (never HTML from data), and follows the inbox
// live through GET /v1/console/events (EventSource), re-reading what it
// shows when an event names it, the inbox, teammates and open conversation
// when a teammate is removed, and everything on `ready`. The lists the API
// pages (the inbox, knowledge) show a page at a time with "Load more". A
// conversation is assigned to any teammate (GET /v1/console/teammates), and
// the inbox shows mine, unassigned or all.
(function () {
  'use strict';

  var app = document.getElementById('app');
  var state = {
    me: null,
    csrf: '',
    conversations: [],
    inbox: null,
    teammates: [],
    assigned: localStorage.getItem('omni.console.assigned') || 'all',
    currentId: '',
    unseenHandoffs: 0,
    sound: localStorage.getItem('omni.console.sound') === 'on',
    events: null,
    refreshTimer: 0,
  };

  // --- helpers -------------------------------------------------------------

  function h(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'text') node.textContent = value;
        else if (key.slice(0, 2) === 'on') node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? '' : value);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function ApiError(status, code, message, hint) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.hint = hint || '';
  }

  function api(method, path, body) {
    var options = { method: method, headers: {}, credentials: 'same-origin' };
    if (method !== 'GET') options.headers['X-CSRF-Token'] = state.csrf;
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return data;
        var error = (data && data.error) || {};
        if (response.status === 401 && path !== '/v1/console/login') showLogin('Your session ended. Sign in again.');
        throw new ApiError(response.status, error.code || 'error', error.message || response.statusText, error.hint);
      });
    });
  }

  function toast(text) {
    var node = document.getElementById('toast');
    node.textContent = text;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { node.textContent = ''; }, 4000);
  }

  function failed(error) {
    toast(error && error.message ? error.message : 'Something went wrong.');
  }

  function ago(iso) {
    if (!iso) return '';
    var seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 60) return 'now';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h';
    return Math.floor(seconds / 86400) + ' d';
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : '';
  }

  function can(permission) {
    return !!state.me && state.me.permissions.indexOf(permission) >= 0;
  }

  function customerName(c) {
    return c.customer && c.customer.name ? c.customer.name : 'Visitor';
  }

  // --- paged lists ---------------------------------------------------------

  // The first page a list shows; "Load more" brings the next one.
  var PAGE_SIZE = 50;
  var MAX_PAGE = 200;

  // A list the API pages ({<key>: [...], next_cursor}): first() reads the
  // first page, more() appends the page after the cursor, and reload()
  // re-reads from the top as many items as are shown, so a live update or a
  // change reaches every loaded item, not only the first page's. The three
  // run one after another, never interleaved. `render(items)` draws the list;
  // `button` (a "Load more" button, shown while another page follows) stays
  // one node so keyboard focus survives a redraw.
  function pager(options) {
    var pg = { path: options.path, items: [], next: null, queue: Promise.resolve() };
    var button = h('button', { type: 'button', class: 'more', id: options.id, text: 'Load more', hidden: true });
    pg.button = button;

    function read(cursor, limit) {
      var separator = pg.path.indexOf('?') >= 0 ? '&' : '?';
      return api('GET', pg.path + separator + 'limit=' + limit + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    }

    function serial(step) {
      pg.queue = pg.queue.then(step).catch(function (error) {
        button.removeAttribute('aria-busy');
        failed(error);
      });
      return pg.queue;
    }

    function show(items, next) {
      pg.items = items;
      pg.next = next;
      button.hidden = !next;
      button.removeAttribute('aria-busy');
      options.render(pg.items);
    }

    // Reads pages from the top until `want` items or the end.
    function readFrom(want) {
      var items = [];
      var seen = {};
      var step = function (cursor) {
        return read(cursor, Math.min(MAX_PAGE, Math.max(PAGE_SIZE, want - items.length))).then(function (data) {
          data[options.key].forEach(function (item) {
            if (!seen[item.id]) { seen[item.id] = true; items.push(item); }
          });
          if (data.next_cursor && items.length < want) return step(data.next_cursor);
          return { items: items, next: data.next_cursor };
        });
      };
      return step('');
    }

    pg.first = function (path) {
      if (path) pg.path = path;
      return serial(function () {
        return readFrom(PAGE_SIZE).then(function (page) { show(page.items, page.next); });
      });
    };

    pg.reload = function () {
      return serial(function () {
        return readFrom(Math.max(PAGE_SIZE, pg.items.length)).then(function (page) { show(page.items, page.next); });
      });
    };

    pg.more = function () {
      return serial(function () {
        if (!pg.next) return;
        var before = pg.items.length;
        return read(pg.next, PAGE_SIZE).then(function (data) {
          // An item that moved up between two pages (a new message) is
          // already shown: it is not shown twice.
          var seen = {};
          pg.items.forEach(function (item) { seen[item.id] = true; });
          var items = pg.items.concat(data[options.key].filter(function (item) { return !seen[item.id]; }));
          var hadFocus = document.activeElement === button;
          show(items, data.next_cursor);
          // At the end the button goes; focus moves on to the first item it brought.
          if (hadFocus && button.hidden && options.focusItem && items.length > before) options.focusItem(items[before]);
        });
      });
    };

    // Busy rather than disabled while a page loads, so keyboard focus stays on it.
    button.addEventListener('click', function () {
      if (button.getAttribute('aria-busy') === 'true') return;
      button.setAttribute('aria-busy', 'true');
      pg.more();
    });
    return pg;
  }

  // --- inbox order ---------------------------------------------------------

  // Handed off with nobody on it yet: a team member's reply assigns them.
  function unattended(c) { return c.status === 'ESCALATED' && !c.assigned_to; }

  function group(c) {
    if (unattended(c)) return 0;
    if (c.status === 'ESCALATED') return 1;
    if (c.status === 'RESOLVED') return 3;
    return 2;
  }

  function byNeed(a, b) {
    var ga = group(a), gb = group(b);
    if (ga !== gb) return ga - gb;
    // The longest-waiting handoff first; otherwise the latest message first.
    if (ga === 0) return Date.parse(a.escalated_at || a.created_at) - Date.parse(b.escalated_at || b.created_at);
    return Date.parse(b.last_message_at || b.created_at) - Date.parse(a.last_message_at || a.created_at);
  }

  // --- title badge and sound ----------------------------------------------

  function updateTitle() {
    var page = PAGES[location.hash];
    var base = state.currentId ? 'Conversation' : (page && can(page.permission) ? page.title : 'Inbox');
    document.title = (state.unseenHandoffs > 0 ? '(' + state.unseenHandoffs + ') ' : '') + base + ' · omni';
    var badge = document.getElementById('badge');
    if (badge) {
      badge.textContent = state.unseenHandoffs > 0 ? String(state.unseenHandoffs) : '';
      badge.hidden = state.unseenHandoffs === 0;
    }
  }

  function chime() {
    if (!state.sound) return;
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      var audio = new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio device: the badge still shows */ }
  }

  // --- live events ---------------------------------------------------------

  function connectEvents() {
    if (state.events) state.events.close();
    var source = new EventSource('/v1/console/events');
    state.events = source;
    source.addEventListener('ready', function () {
      refreshList();
      // The open conversation is redrawn once the teammates are known, for its picker.
      loadTeammates().catch(failed).then(function () {
        if (state.currentId) loadConversation(state.currentId, true);
        document.body.setAttribute('data-live', 'ready');
      });
    });
    source.addEventListener('conversation', function (event) {
      var data = JSON.parse(event.data);
      if (data.kind === 'handoff') {
        if (document.hidden || data.conversation_id !== state.currentId) {
          state.unseenHandoffs++;
          updateTitle();
        }
        chime();
      }
      scheduleRefresh();
      if (data.conversation_id === state.currentId) loadConversation(state.currentId, true);
    });
    // Their conversations are unassigned in the same commit: one event however
    // many there were, so the inbox, the picker and the open conversation re-read.
    source.addEventListener('teammate_removed', function () {
      scheduleRefresh();
      loadTeammates().catch(failed).then(function () {
        if (state.currentId) loadConversation(state.currentId, true);
      });
    });
    source.addEventListener('signed_out', function () {
      source.close();
      showLogin('You were signed out.');
    });
    source.onerror = function () {
      if (source.readyState !== EventSource.CLOSED) return;  // the browser reconnects by itself
      document.body.setAttribute('data-live', 'lost');
      api('GET', '/v1/console/me').then(function () {
        setTimeout(connectEvents, 3000);
      }, function () {});
    };
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refreshList, 120);
  }

  // --- sign-in -------------------------------------------------------------

  function showLogin(message) {
    if (state.events) { state.events.close(); state.events = null; }
    state.me = null;
    var params = new URLSearchParams(location.search);
    var business = h('input', { id: 'business', name: 'business', autocomplete: 'organization', required: true,
      value: params.get('business') || localStorage.getItem('omni.console.business') || '' });
    var email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
    var password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password',
      required: true });
    var error = h('p', { class: 'error', role: 'alert', text: message || '' });
    var submit = h('button', { class: 'primary', type: 'submit', text: 'Sign in' });
    var form = h('form', { class: 'login', 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title', text: 'Team sign-in' }),
      h('label', { for: 'business', text: 'Business (its slug, as in its chat link)' }), business,
      h('label', { for: 'email', text: 'Email' }), email,
      h('label', { for: 'password', text: 'Password' }), password,
      error, submit);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      api('POST', '/v1/console/login', { business: business.value.trim(), email: email.value.trim(),
        password: password.value }).then(function (me) {
        localStorage.setItem('omni.console.business', business.value.trim());
        start(me);
      }, function (e) {
        error.textContent = e.message;
        submit.disabled = false;
        password.select();
      });
    });
    document.title = 'Sign in · omni';
    app.replaceChildren(h('main', { id: 'main' }, form));
    (business.value ? email : business).focus();
  }

  // --- choosing a password (the one-time link of an invitation) ----------

  // The token travels in the link's fragment, so it never reaches a server
  // log or a Referer; it is spent by POST /v1/console/password.
  function showSetPassword() {
    var token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
    var business = new URLSearchParams(location.search).get('business') || '';
    var password = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true,
      minlength: '10' });
    var again = h('input', { id: 'new-password-again', type: 'password', autocomplete: 'new-password', required: true,
      minlength: '10' });
    var error = h('p', { class: 'error', role: 'alert', text: token ? '' : 'This link has no token: open it again from the message you were sent.' });
    var submit = h('button', { class: 'primary', type: 'submit', text: 'Set password', disabled: !token });
    var form = h('form', { class: 'login', 'aria-labelledby': 'set-title' },
      h('h1', { id: 'set-title', text: 'Choose your password' }),
      h('label', { for: 'new-password', text: 'New password (at least 10 characters)' }), password,
      h('label', { for: 'new-password-again', text: 'The same again' }), again, error, submit);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (password.value !== again.value) {
        error.textContent = 'The two passwords differ.';
        again.select();
        return;
      }
      submit.disabled = true;
      api('POST', '/v1/console/password', { token: token, password: password.value }).then(function (data) {
        history.replaceState(null, '', '/console' + (business ? '?business=' + encodeURIComponent(business) : ''));
        showLogin('Password set for ' + data.email + '. Sign in.');
        document.getElementById('email').value = data.email;
        document.getElementById('password').focus();
      }, function (e) {
        error.textContent = e.message;
        submit.disabled = false;
      });
    });
    document.title = 'Choose a password · omni';
    app.replaceChildren(h('main', { id: 'main' }, form));
    password.focus();
  }

  // --- frame ---------------------------------------------------------------

  function frame() {
    var soundButton = h('button', { type: 'button', 'aria-pressed': String(state.sound),
      text: state.sound ? 'Sound on' : 'Sound off' });
    soundButton.addEventListener('click', function () {
      state.sound = !state.sound;
      localStorage.setItem('omni.console.sound', state.sound ? 'on' : 'off');
      soundButton.textContent = state.sound ? 'Sound on' : 'Sound off';
      soundButton.setAttribute('aria-pressed', String(state.sound));
      if (state.sound) chime();
    });
    var signOut = h('button', { type: 'button', text: 'Sign out' });
    signOut.addEventListener('click', function () {
      api('POST', '/v1/console/logout').then(function () { showLogin('Signed out.'); }, failed);
    });
    var who = state.me.user ? (state.me.user.name || state.me.user.email) : state.me.key.name;
    return h('header', { class: 'top' },
      h('a', { class: 'skip', href: '#main', text: 'Skip to content' }),
      h('a', { class: 'brand', href: '#/inbox', text: 'omni' }),
      h('nav', { 'aria-label': 'Console' },
        h('a', { href: '#/inbox', id: 'nav-inbox' }, 'Inbox ', h('span', { id: 'badge', class: 'badge', hidden: true })),
        ...Object.keys(PAGES).map(function (hash) {
          var page = PAGES[hash];
          return can(page.permission) ? h('a', { href: hash, id: 'nav-' + hash.slice(2), text: page.title }) : null;
        })),
      h('span', { class: 'spacer' }),
      h('span', { class: 'who', text: who + ' · ' + state.me.business.slug + ' · ' + state.me.role.toLowerCase() }),
      soundButton, signOut);
  }

  function start(me) {
    state.me = me;
    state.csrf = me.csrf_token || '';
    app.replaceChildren(frame(), h('main', { id: 'main', tabindex: '-1' }));
    connectEvents();
    route();
  }

  function route() {
    if (!state.me) return;
    var hash = location.hash || '#/inbox';
    document.querySelectorAll('.top nav a').forEach(function (a) {
      if (a.getAttribute('href') === hash || (hash.indexOf('#/c/') === 0 && a.id === 'nav-inbox')) {
        a.setAttribute('aria-current', 'page');
      } else {
        a.removeAttribute('aria-current');
      }
    });
    var page = PAGES[hash];
    if (page && can(page.permission)) {
      state.currentId = '';
      page.show();
    } else {
      state.currentId = hash.indexOf('#/c/') === 0 ? decodeURIComponent(hash.slice(4)) : '';
      // Looking at the inbox is seeing what it holds.
      if (!document.hidden) state.unseenHandoffs = 0;
      showInbox();
    }
    updateTitle();
  }

  // --- inbox ---------------------------------------------------------------

  function showInbox() {
    var main = document.getElementById('main');
    var inbox = main.querySelector('.inbox');
    if (!inbox) {
      // "Mine" needs a signed-in user: an API key is nobody.
      if (!state.me.user && state.assigned === 'me') state.assigned = 'all';
      var inboxPager = pager({ path: inboxPath(), key: 'conversations', id: 'inbox-more',
        render: function (items) {
          if (state.inbox !== inboxPager) return;  // a page answered after the inbox was left
          state.conversations = items.slice().sort(byNeed);
          renderList();
        },
        focusItem: function (c) {
          var link = document.querySelector('#list .item[data-id="' + c.id + '"]');
          if (link) link.focus();
        } });
      state.inbox = inboxPager;
      inbox = h('div', { class: 'inbox' },
        h('section', { class: 'list', 'aria-label': 'Conversations', id: 'list' },
          assignedFilter(), h('div', { id: 'list-items' }), h('div', { class: 'more-row' }, state.inbox.button)),
        h('section', { class: 'pane', id: 'pane', 'aria-label': 'Conversation' }));
      main.replaceChildren(inbox);
      state.inbox.first();
    }
    inbox.classList.toggle('open', !!state.currentId);
    renderList();
    if (state.currentId) {
      loadConversation(state.currentId, false);
    } else {
      document.getElementById('pane').replaceChildren(
        h('div', { class: 'placeholder', text: 'Choose a conversation.' }));
    }
  }

  function inboxPath() {
    return '/v1/console/conversations' + (state.assigned === 'all' ? '' : '?assigned=' + state.assigned);
  }

  // Mine / Unassigned / All: radio buttons, so the arrow keys move between them.
  function assignedFilter() {
    var choices = [['me', 'Mine'], ['none', 'Unassigned'], ['all', 'All']].filter(function (c) {
      return c[0] !== 'me' || state.me.user;
    });
    return h('fieldset', { class: 'segmented', id: 'assigned-filter' },
      h('legend', { class: 'visually-hidden', text: 'Show' }),
      ...choices.map(function (c) {
        var input = h('input', { type: 'radio', name: 'assigned', id: 'assigned-' + c[0], value: c[0],
          checked: state.assigned === c[0] });
        input.addEventListener('change', function () {
          if (!input.checked) return;
          state.assigned = c[0];
          localStorage.setItem('omni.console.assigned', c[0]);
          state.inbox.first(inboxPath());
        });
        return h('label', { for: 'assigned-' + c[0] }, input, h('span', { text: c[1] }));
      }));
  }

  function loadTeammates() {
    return api('GET', '/v1/console/teammates').then(function (data) { state.teammates = data.users; });
  }

  function refreshList() {
    if (!state.me || !document.getElementById('list')) return;
    state.inbox.reload();
  }

  function renderList() {
    var list = document.getElementById('list-items');
    if (!list) return;
    var empty = { me: 'Nothing is assigned to you.', none: 'Every conversation has someone on it.' }[state.assigned];
    var groups = [
      { title: 'Needs a person', items: [] }, { title: 'With the team', items: [] },
      { title: 'Open', items: [] }, { title: 'Resolved', items: [] }];
    state.conversations.forEach(function (c) { groups[group(c)].items.push(c); });
    var nodes = [];
    groups.forEach(function (g, index) {
      if (!g.items.length) return;
      nodes.push(h('h2', { id: 'group-' + index, text: g.title + ' (' + g.items.length + ')' }));
      nodes.push(h('ul', { 'aria-labelledby': 'group-' + index }, ...g.items.map(function (c) {
        return h('li', null, h('a', {
          class: 'item', href: '#/c/' + encodeURIComponent(c.id), 'data-id': c.id, 'data-status': c.status,
          'aria-current': c.id === state.currentId ? 'true' : null },
          h('span', { class: 'row' }, h('span', { class: 'name', text: customerName(c) }),
            h('span', { class: 'meta', text: ago(c.last_message_at || c.created_at) })),
          h('span', { class: 'row' },
            h('span', { class: 'meta', text: c.escalation_reason || (c.assigned_to ? 'with ' + c.assigned_to : c.channel) }),
            h('span', { class: 'chip ' + c.status, text: c.status.replace('_', ' ').toLowerCase() }))));
      })));
    });
    if (!nodes.length) nodes.push(h('p', { class: 'empty', text: empty || 'No conversations yet.' }));
    list.replaceChildren(...nodes);
  }

  // --- one conversation ----------------------------------------------------

  function loadConversation(id, quiet) {
    var path = '/v1/console/conversations/' + encodeURIComponent(id);
    Promise.all([api('GET', path), api('GET', path + '/notes')]).then(function (results) {
      if (state.currentId !== id) return;
      renderConversation(results[0], results[1].notes, quiet);
    }, function (error) {
      if (!quiet) {
        document.getElementById('pane').replaceChildren(h('div', { class: 'placeholder', text: error.message }));
      }
    });
  }

  function act(path, body) {
    return api('POST', '/v1/console/conversations/' + encodeURIComponent(state.currentId) + path, body)
      .then(function () { loadConversation(state.currentId, true); refreshList(); }, failed);
  }

  function messageNode(m) {
    if (m.role === 'TOOL') {
      return h('details', { class: 'tool' }, h('summary', { text: 'Tool result: ' + (m.tool_name || 'tool') }),
        h('pre', { text: JSON.stringify(m.tool_result, null, 2) }));
    }
    if (m.role === 'SYSTEM') return null;
    var nodes = [];
    if (m.role === 'ASSISTANT' && m.tool_calls && m.tool_calls.length) {
      m.tool_calls.forEach(function (call) {
        nodes.push(h('details', { class: 'tool' }, h('summary', { text: 'Used ' + call.name }),
          h('pre', { text: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) })));
      });
    }
    if (m.content) {
      var by = m.role === 'USER' ? 'Visitor' : m.role === 'HUMAN' ? (m.author || 'Team') : 'Assistant';
      var cites = (m.citations || []).map(function (c, i) {
        return '[' + (i + 1) + '] ' + (c.title || c.document || c.source || c.url || JSON.stringify(c));
      });
      nodes.push(h('div', { class: 'msg ' + m.role + (m.dropped ? ' dropped' : ''), 'data-role': m.role },
        h('span', { class: 'by', text: by + ' · ' + when(m.created_at) + (m.dropped ? ' · not sent' : '') +
          (m.failed ? ' · unanswered' : '') }),
        m.content,
        cites.length ? h('small', { class: 'cites', text: 'Sources: ' + cites.join('  ') }) : null));
    }
    return nodes;
  }

  function renderConversation(data, notes, quiet) {
    var c = data.conversation;
    var pane = document.getElementById('pane');
    // A live update redraws the pane: what the agent was typing, and where, stays.
    var previousDraft = pane.querySelector('#reply-text');
    var draft = previousDraft ? previousDraft.value : '';
    var hadFocus = previousDraft && document.activeElement === previousDraft;
    var previousNote = pane.querySelector('#note-text');
    var noteDraft = previousNote ? previousNote.value : '';
    var noteFocus = previousNote && document.activeElement === previousNote;
    var writable = can('conversations:write');
    var meId = state.me.user ? state.me.user.id : '';
    var actions = h('div', { class: 'actions' },
      h('a', { class: 'back', href: '#/inbox', text: '← Inbox' }),
      writable && (c.status === 'AI_ACTIVE' || c.status === 'REOPENED')
        ? h('button', { type: 'button', id: 'take-over', onclick: function () { act('/escalate', {}); }, text: 'Take over' }) : null,
      writable && c.status !== 'RESOLVED'
        ? h('button', { type: 'button', id: 'resolve', onclick: function () { act('/resolve'); }, text: 'Resolve' }) : null,
      writable && c.status === 'RESOLVED'
        ? h('button', { type: 'button', id: 'reopen', onclick: function () { act('/reopen'); }, text: 'Reopen' }) : null,
      writable && meId && c.assigned_user_id !== meId
        ? h('button', { type: 'button', id: 'assign-me', onclick: function () { act('/assign', { user_id: meId }); },
          text: 'Assign to me' }) : null,
      writable ? assigneePicker(c, meId) : null);
    var messages = h('div', { class: 'messages', id: 'messages', 'aria-live': 'polite', 'aria-label': 'Transcript' });
    data.messages.forEach(function (m) {
      var node = messageNode(m);
      (Array.isArray(node) ? node : [node]).forEach(function (n) { if (n) messages.appendChild(n); });
    });
    var text = h('textarea', { id: 'reply-text', rows: '2', 'aria-label': 'Reply to the visitor',
      placeholder: 'Reply as ' + (state.me.user ? (state.me.user.name || state.me.user.email) : state.me.key.name) +
        ' (Ctrl+Enter sends)' });
    text.value = draft;
    var send = h('button', { class: 'primary', type: 'submit', id: 'reply-send', text: 'Send' });
    var reply = h('form', { class: 'reply', 'aria-label': 'Reply' }, text, send);
    reply.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!text.value.trim()) return;
      send.disabled = true;
      act('/reply', { text: text.value }).then(function () {
        text.value = '';
        send.disabled = false;
        text.focus();
      });
    });
    text.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) reply.requestSubmit();
    });
    var header = h('header', null,
      h('h1', { text: customerName(c) }),
      h('span', { class: 'chip ' + c.status, id: 'status', text: c.status.replace('_', ' ').toLowerCase() }), ' ',
      h('span', { class: 'meta', text: (c.assigned_to ? 'Assigned to ' + c.assigned_to : 'Unassigned') +
        (c.escalation_reason ? ' · ' + c.escalation_reason : '') }),
      actions);
    var thread = h('section', { class: 'thread' }, header, messages, writable ? reply : null);
    pane.replaceChildren(thread, customerPanel(c, notes, writable));
    messages.scrollTop = messages.scrollHeight;
    var noteText = pane.querySelector('#note-text');
    if (noteText) noteText.value = noteDraft;
    if (noteFocus && noteText) noteText.focus();
    else if (hadFocus || (!quiet && writable)) text.focus();
  }

  // Who owns the conversation: any teammate, or nobody. A name assigned
  // before users were (a CLI author, an API key) shows until it is changed.
  function assigneePicker(c, meId) {
    var select = h('select', { id: 'assignee' },
      h('option', { value: '', text: 'Unassigned', selected: !c.assigned_to }),
      c.assigned_to && !c.assigned_user_id ? h('option', { value: 'legacy', text: c.assigned_to, selected: true, disabled: true }) : null,
      ...state.teammates.map(function (u) {
        var label = (u.name || u.email) + (u.id === meId ? ' (you)' : u.status === 'invited' ? ' (invited)' : '');
        return h('option', { value: u.id, text: label, selected: u.id === c.assigned_user_id });
      }));
    // Someone added since the list was read shows too, by name, until it is re-read.
    if (c.assigned_user_id && !state.teammates.some(function (u) { return u.id === c.assigned_user_id; })) {
      select.appendChild(h('option', { value: c.assigned_user_id, text: c.assigned_to, selected: true }));
    }
    select.addEventListener('change', function () {
      act('/assign', { user_id: select.value || null });
    });
    return h('span', { class: 'field assignee' }, h('label', { for: 'assignee', text: 'Assigned to' }), select);
  }

  function customerPanel(c, notes, writable) {
    var details = h('dl', { id: 'customer' });
    var add = function (term, value) { if (value) details.append(h('dt', { text: term }), h('dd', { text: value })); };
    add('Name', c.customer ? c.customer.name : 'Anonymous visitor');
    if (c.customer) { add('Email', c.customer.email); add('Phone', c.customer.phone_display); }
    add('Channel', c.channel.toLowerCase());
    add('Started', when(c.created_at));
    var tags = h('p', { id: 'tags' });
    var customerNotes = h('p', { id: 'customer-notes', class: 'note' });
    customerNotes.hidden = true;
    var upcoming = h('ul', { id: 'appointments' });
    var past = h('ul', { id: 'past' });
    if (can('customers:read')) {
      api('GET', '/v1/console/conversations/' + encodeURIComponent(c.id) + '/customer').then(function (d) {
        var who = d.customer;
        if (!who) {
          past.appendChild(h('li', { text: 'None: the visitor has not said who they are' }));
          return;
        }
        if (!who.email && who.claimed_email) add('Email (unverified)', who.claimed_email);
        if (!who.phone && who.claimed_phone) add('Phone (unverified)', who.claimed_phone_display);
        add('Visits', String(who.visit_count));
        who.tags.forEach(function (tag) { tags.append(h('span', { class: 'chip', text: tag }), ' '); });
        if (who.notes) { customerNotes.textContent = who.notes; customerNotes.hidden = false; }
        d.upcoming.concat(d.past.slice(0, 3)).forEach(function (a) {
          upcoming.appendChild(h('li', { text: when(a.starts_at) + ' · ' + a.service + ' · ' + a.status.toLowerCase() }));
        });
        if (!upcoming.children.length) upcoming.appendChild(h('li', { text: 'None' }));
        d.conversations.filter(function (o) { return o.id !== c.id; }).forEach(function (o) {
          past.appendChild(h('li', null, h('a', { href: '#/c/' + encodeURIComponent(o.id),
            text: when(o.created_at) + ' · ' + o.status.replace('_', ' ').toLowerCase() })));
        });
        if (!past.children.length) past.appendChild(h('li', { text: 'None' }));
      }, function () {});
    }
    var noteList = h('div', { id: 'notes' }, ...notes.map(function (n) {
      return h('div', { class: 'note' }, h('small', { text: n.author + ' · ' + when(n.created_at) }), n.body);
    }));
    if (!notes.length) noteList.appendChild(h('p', { class: 'meta', text: 'No notes. Only the team sees them.' }));
    var noteText = h('textarea', { id: 'note-text', rows: '2', 'aria-label': 'New private note' });
    var noteForm = h('form', { 'aria-label': 'Add a private note' }, noteText,
      h('button', { type: 'submit', id: 'note-add', text: 'Add note' }));
    noteForm.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!noteText.value.trim()) return;
      act('/notes', { body: noteText.value }).then(function () { noteText.value = ''; });
    });
    return h('aside', { class: 'side', 'aria-label': 'Customer' },
      h('h2', { text: 'Customer' }), details, tags, customerNotes,
      h('h2', { text: 'Private notes on this conversation' }), noteList, writable ? noteForm : null,
      h('h2', { text: 'Appointments' }), upcoming,
      h('h2', { text: 'Past conversations' }), past);
  }

  // --- dashboard -----------------------------------------------------------

  var CARDS = [
    { metric: 'conversations', label: 'Conversations', better: 'up' },
    { metric: 'ai_resolution_rate', label: 'Resolved by the AI', better: 'up' },
    { metric: 'handoff_rate', label: 'Handed to a person', better: 'down' },
    { metric: 'first_response_median_s', label: 'First response (median)', better: 'down' },
    { metric: 'time_to_human_median_s', label: 'Time to a person (median)', better: 'down' },
    { metric: 'bookings_made', label: 'Bookings made', better: 'up' },
    { metric: 'booking_conversion_rate', label: 'Booking conversion', better: 'up' },
    { metric: 'csat_score', label: 'Satisfaction (1–5)', better: 'up' },
    { metric: 'cost_usd', label: 'Model cost', better: 'down' },
  ];
  var CHARTS = ['conversations', 'handoff_rate', 'ai_resolution_rate', 'first_response_time', 'bookings_made',
    'csat_score'];

  function formatMetric(name, value) {
    if (/_rate$/.test(name)) return Math.round(value * 100) + '%';
    if (/_s$/.test(name)) {
      var s = Math.round(value);
      return s >= 3600 ? Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm'
        : s >= 60 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : s + 's';
    }
    if (name === 'cost_usd') return '$' + value.toFixed(2);
    if (name === 'csat_score') return value ? value.toFixed(1) : '–';
    return String(Math.round(value * 100) / 100);
  }

  function showDashboard() {
    var main = document.getElementById('main');
    var since = localStorage.getItem('omni.console.since') || '30d';
    var select = h('select', { id: 'since', 'aria-label': 'Period' },
      ...[['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days']].map(function (o) {
        return h('option', { value: o[0], selected: o[0] === since, text: o[1] });
      }));
    var cards = h('div', { class: 'cards', id: 'cards', 'aria-live': 'polite' });
    var charts = h('div', { class: 'charts', id: 'charts' });
    var range = h('p', { class: 'meta', id: 'range' });
    main.replaceChildren(h('div', { class: 'dash' },
      h('header', null, h('h1', { text: 'Dashboard' }), select), range, cards, charts));
    var load = function () {
      since = select.value;
      localStorage.setItem('omni.console.since', since);
      api('GET', '/v1/console/analytics/summary?since=' + since).then(function (summary) {
        range.textContent = summary.range.from + ' to ' + summary.range.to + ' (' + summary.time_zone +
          '), against ' + summary.previous_range.from + ' to ' + summary.previous_range.to;
        cards.replaceChildren(...CARDS.map(function (card) {
          var m = summary.metrics[card.metric];
          if (!m) return null;
          var change = m.value - m.previous;
          var tone = change === 0 ? 'flat' : (change > 0) === (card.better === 'up') ? 'good' : 'bad';
          var text = change === 0 ? 'no change' : (change > 0 ? '▲ ' : '▼ ') +
            (m.change_pct === null ? formatMetric(card.metric, Math.abs(change)) : Math.abs(Math.round(m.change_pct)) + '%') +
            ' vs previous';
          return h('div', { class: 'card', 'data-metric': card.metric },
            h('div', { class: 'label', text: card.label }),
            h('div', { class: 'value', text: formatMetric(card.metric, m.value) }),
            h('div', { class: 'change ' + tone, text: text }));
        }).filter(Boolean));
      }, failed);
      charts.replaceChildren(...CHARTS.map(function (metric) {
        var label = metric.replace(/_/g, ' ') + ' per day, ' + select.selectedOptions[0].textContent.toLowerCase();
        return h('figure', null, h('img', { src: '/v1/console/analytics/chart?by=day&since=' + since + '&metric=' + metric,
          alt: label, width: '480', height: '200', 'data-metric': metric }));
      }));
    };
    select.addEventListener('change', load);
    load();
  }

  // --- shared page parts ---------------------------------------------------

  var ROLES = [['AGENT', 'Agent'], ['ADMIN', 'Admin'], ['OWNER', 'Owner']];

  function roleSelect(id, value, label) {
    return h('select', { id: id, 'aria-label': label },
      ...ROLES.map(function (r) { return h('option', { value: r[0], selected: r[0] === value, text: r[1] }); }));
  }

  function field(id, label, input) {
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), input);
  }

  // A destructive action asks in place: the button gives way to a question
  // with its own confirm and cancel buttons, so the keyboard never leaves the row.
  function confirmButton(label, question, className, action) {
    var cell = h('span', { class: 'confirm' });
    var button = h('button', { type: 'button', class: className, text: label });
    var ask = function () {
      var yes = h('button', { type: 'button', class: 'danger ' + className + '-yes', text: label });
      var no = h('button', { type: 'button', text: 'Cancel' });
      no.addEventListener('click', function () { cell.replaceChildren(button); button.focus(); });
      yes.addEventListener('click', function () {
        yes.disabled = true;
        action().catch(function (e) { failed(e); yes.disabled = false; });
      });
      cell.replaceChildren(h('span', { text: question + ' ' }), yes, no);
      no.focus();
    };
    button.addEventListener('click', ask);
    cell.appendChild(button);
    return cell;
  }

  // A secret shown this once, with a copy button; nothing keeps it afterwards.
  function secretBox(id, title, value, note) {
    var input = h('input', { id: id, readonly: true, value: value, 'aria-label': title, spellcheck: 'false' });
    var copy = h('button', { type: 'button', class: 'copy', text: 'Copy' });
    copy.addEventListener('click', function () {
      var done = function () { toast('Copied.'); };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(done, function () { document.execCommand('copy'); done(); });
      } else {
        document.execCommand('copy');
        done();
      }
    });
    var box = h('div', { class: 'secret', role: 'status' },
      h('strong', { text: title }), h('div', { class: 'secret-row' }, input, copy), h('p', { class: 'meta', text: note }));
    return box;
  }

  function table(id, headings, rows, empty) {
    if (!rows.length) return h('p', { class: 'empty', id: id, text: empty });
    return h('div', { class: 'table-wrap' }, h('table', { id: id },
      h('thead', null, h('tr', null, ...headings.map(function (t) { return h('th', { scope: 'col', text: t }); }))),
      h('tbody', null, ...rows)));
  }

  function page(title, id) {
    var main = document.getElementById('main');
    var body = h('div', { class: 'page', id: id }, h('header', null, h('h1', { text: title })));
    main.replaceChildren(body);
    return body;
  }

  // --- knowledge -----------------------------------------------------------

  function showKnowledge() {
    var body = page('Knowledge', 'knowledge');
    var writable = can('knowledge:write');
    var question = h('input', { id: 'kb-q', type: 'search', required: true, maxlength: '2000',
      placeholder: 'e.g. do you open on Sundays?' });
    var hits = h('ol', { id: 'kb-hits', class: 'hits', 'aria-live': 'polite' });
    var searchForm = h('form', { class: 'inline-form', id: 'kb-search', role: 'search' },
      field('kb-q', 'What would the assistant retrieve for a question?', question),
      h('button', { type: 'submit', class: 'primary', text: 'Search' }));
    searchForm.addEventListener('submit', function (event) {
      event.preventDefault();
      api('GET', '/v1/console/knowledge/search?q=' + encodeURIComponent(question.value)).then(function (data) {
        if (!data.hits.length) {
          hits.replaceChildren(h('li', { class: 'empty', text: 'Nothing in the knowledge base matches; the assistant would answer without it.' }));
          return;
        }
        hits.replaceChildren(...data.hits.map(function (hit) {
          return h('li', { class: 'hit', 'data-document': hit.document_id },
            h('div', { class: 'row' }, h('strong', { class: 'title', text: hit.title || hit.source }),
              h('span', { class: 'score', title: 'retrieval score', text: 'score ' + hit.score.toFixed(3) })),
            h('p', { class: 'snippet', text: hit.snippet }),
            h('span', { class: 'meta', text: hit.type.toLowerCase() + (hit.source ? ' · ' + hit.source : '') }));
        }));
      }, failed);
    });
    body.appendChild(h('section', { 'aria-labelledby': 'kb-search-title' },
      h('h2', { id: 'kb-search-title', text: 'Search' }), searchForm, hits));

    if (writable) {
      var title = h('input', { id: 'kb-title', required: true, maxlength: '500' });
      var text = h('textarea', { id: 'kb-text', required: true, rows: '8' });
      var format = h('select', { id: 'kb-format' },
        h('option', { value: 'markdown', text: 'Markdown' }), h('option', { value: 'text', text: 'Plain text' }));
      var add = h('button', { type: 'submit', class: 'primary', id: 'kb-add', text: 'Add document' });
      var addForm = h('form', { id: 'kb-add-form', class: 'stack' },
        field('kb-title', 'Title', title), field('kb-text', 'Text', text), field('kb-format', 'Format', format), add);
      addForm.addEventListener('submit', function (event) {
        event.preventDefault();
        add.disabled = true;
        api('POST', '/v1/console/knowledge', { title: title.value.trim(), text: text.value, format: format.value })
          .then(function (doc) {
            toast('Added “' + doc.title + '”.');
            addForm.reset();
            loadDocuments();
          }, failed).then(function () { add.disabled = false; });
      });
      body.appendChild(h('section', { 'aria-labelledby': 'kb-add-title' },
        h('h2', { id: 'kb-add-title', text: 'Add a document' }), addForm));
    }

    var list = h('div', { id: 'kb-list' });
    var documents = pager({ path: '/v1/console/knowledge', key: 'documents', id: 'kb-more',
      render: function (docs) {
        var rows = docs.map(function (doc) {
          return h('tr', { 'data-id': doc.id },
            h('td', { class: 'title', text: doc.title }), h('td', { text: doc.type.toLowerCase() }),
            h('td', { text: String(doc.chunks) }), h('td', { text: when(doc.updated_at) }),
            writable ? h('td', null, confirmButton('Remove', 'Remove “' + doc.title + '”?', 'kb-remove', function () {
              return api('DELETE', '/v1/console/knowledge/' + encodeURIComponent(doc.id)).then(function () {
                toast('Removed “' + doc.title + '”.');
                loadDocuments();
              });
            })) : null);
        });
        var headings = ['Title', 'Type', 'Chunks', 'Updated'];
        if (writable) headings.push('');
        list.replaceChildren(table('kb-docs', headings, rows,
          writable ? 'No documents yet. Add one above, or use omni ingest for files and websites.' : 'No documents yet.'));
      },
      focusItem: function (doc) {
        var row = list.querySelector('tr[data-id="' + doc.id + '"]');
        if (row) { row.tabIndex = -1; row.focus(); }
      } });
    body.appendChild(h('section', { 'aria-labelledby': 'kb-docs-title' },
      h('h2', { id: 'kb-docs-title', text: 'Documents' }), list, h('div', { class: 'more-row' }, documents.button)));

    function loadDocuments() { documents.reload(); }
    documents.first();
  }

  // --- team and keys -------------------------------------------------------

  function showTeam() {
    var body = page('Team and API keys', 'team');
    var myId = state.me.user ? state.me.user.id : '';

    var email = h('input', { id: 'invite-email', type: 'email', required: true, maxlength: '254' });
    var name = h('input', { id: 'invite-name', maxlength: '200' });
    var inviteRole = roleSelect('invite-role', 'AGENT', 'Role');
    var invite = h('button', { type: 'submit', class: 'primary', text: 'Invite' });
    var inviteResult = h('div', { id: 'invite-result' });
    var inviteForm = h('form', { id: 'invite-form', class: 'inline-form' },
      field('invite-email', 'Email', email), field('invite-name', 'Name', name),
      h('div', { class: 'field' }, h('label', { for: 'invite-role', text: 'Role' }), inviteRole), invite);
    inviteForm.addEventListener('submit', function (event) {
      event.preventDefault();
      invite.disabled = true;
      api('POST', '/v1/console/team', { email: email.value.trim(), name: name.value.trim() || undefined,
        role: inviteRole.value }).then(function (data) {
        inviteForm.reset();
        // The business goes into the link, so its sign-in form comes filled in.
        var link = data.set_password_url &&
          data.set_password_url.replace('#', '?business=' + encodeURIComponent(state.me.business.slug) + '#');
        inviteResult.replaceChildren(link
          ? secretBox('invite-link', 'Set-password link for ' + data.user.email, link,
            'Send it to them yourself: it works once, until ' + when(data.set_password_expires_at) +
            ', and is not shown again.')
          : h('p', { text: data.user.email + ' was added.' }));
        loadUsers();
      }, failed).then(function () { invite.disabled = false; });
    });
    var users = h('div', { id: 'team-list' });
    body.appendChild(h('section', { 'aria-labelledby': 'team-title' },
      h('h2', { id: 'team-title', text: 'Team' }), users,
      h('h3', { text: 'Invite someone' }), inviteForm, inviteResult));

    var keyName = h('input', { id: 'key-name', required: true, maxlength: '100' });
    var keyRole = roleSelect('key-role', 'AGENT', 'Role');
    var create = h('button', { type: 'submit', class: 'primary', text: 'Create key' });
    var keyResult = h('div', { id: 'key-result' });
    var keyForm = h('form', { id: 'key-form', class: 'inline-form' },
      field('key-name', 'Name (what uses it)', keyName),
      h('div', { class: 'field' }, h('label', { for: 'key-role', text: 'Role' }), keyRole), create);
    keyForm.addEventListener('submit', function (event) {
      event.preventDefault();
      create.disabled = true;
      api('POST', '/v1/console/keys', { name: keyName.value.trim(), role: keyRole.value }).then(function (key) {
        keyForm.reset();
        keyResult.replaceChildren(secretBox('key-secret', 'API key “' + key.name + '”', key.secret,
          'Copy it now: omni keeps only its hash, so it is never shown again. Send it as "Authorization: Bearer <key>".'));
        loadKeys();
      }, failed).then(function () { create.disabled = false; });
    });
    var keys = h('div', { id: 'key-list' });
    body.appendChild(h('section', { 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title', text: 'API keys' }), keys, h('h3', { text: 'Create a key' }), keyForm, keyResult));

    function loadUsers() {
      api('GET', '/v1/console/team').then(function (data) {
        users.replaceChildren(table('team-table', ['Email', 'Name', 'Role', 'Status', 'Last sign-in', ''],
          data.users.map(function (u) {
            var select = roleSelect('role-' + u.id, u.role, 'Role of ' + u.email);
            select.addEventListener('change', function () {
              api('PATCH', '/v1/console/team/' + encodeURIComponent(u.id), { role: select.value }).then(function (changed) {
                toast(changed.email + ' is now ' + changed.role.toLowerCase() + '.');
                u.role = changed.role;
              }, function (e) { select.value = u.role; failed(e); });
            });
            return h('tr', { 'data-id': u.id, 'data-email': u.email },
              h('td', { text: u.email }), h('td', { text: u.name || '' }), h('td', null, select),
              h('td', { text: u.status }), h('td', { text: u.last_login_at ? when(u.last_login_at) : 'never' }),
              h('td', null, u.id === myId ? h('span', { class: 'meta', text: 'you' })
                : confirmButton('Remove', 'Remove ' + u.email + '?', 'user-remove', function () {
                  return api('DELETE', '/v1/console/team/' + encodeURIComponent(u.id)).then(function () {
                    toast('Removed ' + u.email + '.');
                    loadUsers();
                  });
                })));
          }), 'No team members yet.'));
      }, failed);
    }

    function loadKeys() {
      api('GET', '/v1/console/keys').then(function (data) {
        keys.replaceChildren(table('key-table', ['Name', 'Role', 'Key', 'Created', 'Last used', ''],
          data.keys.map(function (k) {
            return h('tr', { 'data-id': k.id },
              h('td', { text: k.name }), h('td', { text: k.role.toLowerCase() }),
              h('td', null, h('code', { class: 'prefix', text: k.prefix + '…' })),
              h('td', { text: when(k.created_at) }), h('td', { text: k.last_used_at ? when(k.last_used_at) : 'never' }),
              h('td', null, confirmButton('Revoke', 'Revoke “' + k.name + '”?', 'key-revoke', function () {
                return api('DELETE', '/v1/console/keys/' + encodeURIComponent(k.id)).then(function () {
                  toast('Revoked “' + k.name + '”.');
                  loadKeys();
                });
              })));
          }), 'No API keys.'));
      }, failed);
    }
    loadUsers();
    loadKeys();
  }

  // --- billing -------------------------------------------------------------

  var METRICS = {
    interactions: 'AI interactions', conversations: 'Conversations', documents: 'Knowledge documents',
    services: 'Services', operators: 'Team members',
  };

  function showBilling() {
    var body = page('Billing', 'billing');
    var plan = h('dl', { id: 'plan', class: 'facts' });
    var usage = h('div', { id: 'usage', class: 'usage' });
    var manage = h('button', { type: 'button', class: 'primary', id: 'manage-billing', text: 'Manage billing' });
    var portal = h('div', { id: 'portal' }, manage);
    manage.addEventListener('click', function () {
      manage.disabled = true;
      api('POST', '/v1/console/billing/portal', { return_url: location.origin + '/console#/billing' })
        .then(function (data) { location.assign(data.url); }, function (e) {
          // The server says why there is no portal (no Stripe key, no customer
          // yet): that sentence replaces the button rather than a dead end.
          portal.replaceChildren(h('p', { class: 'notice', id: 'portal-message', role: 'alert' },
            h('strong', { text: e.message.charAt(0).toUpperCase() + e.message.slice(1) + '.' }),
            e.hint ? ' ' + e.hint : ''));
        });
    });
    body.appendChild(h('section', { 'aria-labelledby': 'plan-title' }, h('h2', { id: 'plan-title', text: 'Plan' }), plan, portal));
    body.appendChild(h('section', { 'aria-labelledby': 'usage-title' },
      h('h2', { id: 'usage-title', text: 'Usage this period' }), usage));

    Promise.all([api('GET', '/v1/console/usage'), api('GET', '/v1/console/billing')]).then(function (results) {
      var u = results[0], b = results[1];
      var day = function (iso) { return new Date(iso).toLocaleDateString(); };
      var status = String(u.subscription_status || b.status || 'none').toLowerCase().replace(/_/g, ' ');
      var facts = [['Plan', u.plan.charAt(0) + u.plan.slice(1).toLowerCase()], ['Status', status],
        ['Period', day(u.period.start) + ' – ' + day(u.period.end)]];
      if (u.trial_ends_at) facts.push(['Trial ends', when(u.trial_ends_at)]);
      if (u.grace_ends_at) facts.push(['Grace ends', when(u.grace_ends_at)]);
      if (b.cancel_at_period_end) facts.push(['Renewal', 'cancels at the end of the period']);
      if (u.overage && u.overage.interactions > 0) {
        facts.push(['Overage', u.overage.interactions + ' interactions, $' + (u.overage.cents / 100).toFixed(2)]);
      }
      plan.replaceChildren(...facts.reduce(function (nodes, f) {
        nodes.push(h('dt', { text: f[0] }), h('dd', { 'data-fact': f[0].toLowerCase(), text: String(f[1]) }));
        return nodes;
      }, []));
      usage.replaceChildren(...u.limits.map(function (l) {
        var label = METRICS[l.metric] || l.metric.replace(/_/g, ' ');
        var id = 'usage-' + l.metric;
        var figure = l.limit === null ? l.used + ' (no limit)' : l.used + ' of ' + l.limit;
        return h('div', { class: 'usage-row', 'data-metric': l.metric },
          h('label', { for: id }, h('span', { text: label }), h('span', { class: 'meta', text: figure })),
          l.limit === null ? h('meter', { id: id, min: '0', max: '1', value: '0' })
            : h('meter', { id: id, min: '0', max: String(Math.max(l.limit, 1)), value: String(Math.min(l.used, l.limit)),
              low: String(l.limit * 0.8), high: String(l.limit * 0.95), optimum: '0' }));
      }));
    }, failed);
  }

  // The pages beyond the inbox, in navigation order, with what a role needs to see one.
  var PAGES = {
    '#/dashboard': { title: 'Dashboard', permission: 'analytics:read', show: showDashboard },
    '#/knowledge': { title: 'Knowledge', permission: 'knowledge:read', show: showKnowledge },
    '#/team': { title: 'Team', permission: 'team', show: showTeam },
    '#/billing': { title: 'Billing', permission: 'billing', show: showBilling },
  };

  // --- start ---------------------------------------------------------------

  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && !state.currentId) { state.unseenHandoffs = 0; updateTitle(); }
  });
  if (location.pathname === '/console/set-password') {
    showSetPassword();
    return;
  }
  fetch('/v1/console/me', { credentials: 'same-origin' }).then(function (response) {
    if (response.status !== 200) return showLogin('');
    return response.json().then(start);
  }, function () { showLogin('omni cannot be reached.'); });
})();
