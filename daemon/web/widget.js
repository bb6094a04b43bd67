/* omni webchat widget: GET /widget.js, compiled into omnid (daemon/web/embed.cmake).
 *   <script src="https://chat.example.com/widget.js" data-business="acme" async></script>
 * data-mode="page": full-page chat (GET /chat/{slug}); data-api: omnid's URL
 * (default: the script's origin); data-identity and data-identity-hash (hex
 * HMAC-SHA256 of the identity under the widget secret, computed by the site's
 * server): a logged-in user, linked to its customer, skips the pre-chat form. Uses the chat API of daemon/chat_handlers.hpp;
 * all message text is set with textContent, never as HTML: the assistant's and
 * the team's Markdown (paragraphs, line breaks, bold, italics, lists, http(s)
 * and mailto links) is built here as DOM nodes, so no markup from a model or a
 * person ever becomes HTML. The session lives
 * in localStorage and resumes after a reload. No dependencies, no build step. */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[data-business]');
  if (!script || !script.getAttribute('data-business')) return;
  var slug = script.getAttribute('data-business');
  var pageMode = script.getAttribute('data-mode') === 'page';
  var api = (script.getAttribute('data-api') || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  var base = api + '/v1/chat/' + encodeURIComponent(slug);
  var storeKey = 'omni-chat:' + api + ':' + slug;
  var identity = script.getAttribute('data-identity');
  var identityHash = script.getAttribute('data-identity-hash');

  var TOOL_LABELS = {
    check_availability: 'Checking availability…', book_appointment: 'Booking your appointment…',
    cancel_appointment: 'Cancelling the appointment…', reschedule_appointment: 'Rescheduling…',
    list_services: 'Looking up services…', search_knowledge: 'Searching our answers…',
    escalate_to_human: 'Getting a team member…'
  };

  var state = load();
  var settings = null;   // the session response
  var shown = {};        // message ids on screen
  var lastSeq = 0;
  var busy = false;      // a turn is streaming
  var events = null;     // AbortController of the events stream
  var eventsRetryMs = 1000;
  var unread = 0;
  var ui = {};

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* storage off: the session lasts the page */ }
    if (ui.end) ui.end.hidden = !state.conversation;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function safeColor(value, fallback) {
    return typeof value === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(value) ? value : fallback;
  }

  var CSS = [
    ':host{all:initial;--p:#2563eb;--t:#ffffff;--b:#f7f7f8;--a:#222222}',
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
    '.bubble{position:fixed;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;cursor:pointer;background:var(--p);color:var(--t);box-shadow:0 6px 20px rgba(0,0,0,.22);display:flex;align-items:center;justify-content:center;z-index:2147483000;transition:transform .15s}',
    '.bubble:hover{transform:scale(1.06)}.bubble svg{width:28px;height:28px;fill:currentColor}.right{right:20px}',
    '.left{left:20px}',
    '.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#d93025;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}',
    '.panel{position:fixed;bottom:92px;width:380px;height:600px;max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:var(--b);border-radius:16px;overflow:hidden;z-index:2147483001;box-shadow:0 12px 40px rgba(0,0,0,.25);color:var(--a);font-size:15px}',
    '[hidden]{display:none!important}',
    '.page{position:fixed;inset:0;width:auto;height:auto;max-height:none;border-radius:0;box-shadow:none}',
    '@media (min-width:720px){.page{inset:24px auto 24px 50%;width:680px;margin-left:-340px;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.15)}}',
    '@media (max-width:480px){.panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0}}',
    'header{background:var(--p);color:var(--t);padding:14px 16px;display:flex;align-items:center;gap:10px}',
    '.avatar{width:36px;height:36px;border-radius:50%;background:rgba(255,255,255,.22);display:flex;align-items:center;justify-content:center;font-weight:600;font-size:16px;flex:none}',
    '.who{flex:1;min-width:0}',
    '.title{font-weight:600;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.sub{font-size:12.5px;opacity:.85;display:flex;align-items:center;gap:6px}',
    '.dot{width:8px;height:8px;border-radius:50%;background:#3ddc84}.dot.off{background:#bbb}',
    '.close{background:transparent;border:0;color:inherit;cursor:pointer;width:36px;height:36px;border-radius:8px;font-size:22px}',
    '.close:hover{background:rgba(255,255,255,.15)}',
    '.notice{background:#fff4d6;color:#5c4500;font-size:13px;padding:8px 16px}',
    '.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px}',
    '.msg{max-width:85%;padding:10px 13px;border-radius:16px;line-height:1.4;white-space:pre-wrap;word-wrap:break-word}',
    '.user{align-self:flex-end;background:var(--p);color:var(--t);border-bottom-right-radius:4px}',
    '.assistant,.human{align-self:flex-start;background:#fff;color:var(--a);border:1px solid rgba(0,0,0,.07);border-bottom-left-radius:4px}',
    '.author{display:block;font-size:11.5px;font-weight:600;opacity:.7;margin-bottom:2px}',
    '.assistant,.human{white-space:normal}',
    '.text p{margin:0}.text p+p,.text p+ul,.text p+ol,.text ul+p,.text ol+p{margin-top:8px}',
    '.text ul,.text ol{margin:4px 0 0;padding-left:20px}.text li+li{margin-top:2px}',
    '.text a{color:inherit;text-decoration:underline}',
    '.error{align-self:center;color:#a32020;font-size:13px;text-align:center}',
    '.info{align-self:center;color:#666;font-size:12.5px;text-align:center}',
    '.cites{margin-top:6px;display:flex;flex-wrap:wrap;gap:4px}',
    '.cites a,.cites span{font-size:12px;color:var(--p);background:rgba(0,0,0,.04);border-radius:10px;padding:2px 8px;text-decoration:none}',
    '.cites a:hover{text-decoration:underline}',
    '.tool{align-self:flex-start;font-size:13px;color:#666;font-style:italic}',
    '.typing{align-self:flex-start;background:#fff;border:1px solid rgba(0,0,0,.07);border-radius:16px;padding:12px 14px;display:flex;gap:4px}',
    '.typing i{width:7px;height:7px;border-radius:50%;background:#999;animation:b 1.2s infinite}',
    '.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}',
    '@keyframes b{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-3px)}}',
    'form.compose{display:flex;gap:8px;padding:10px 12px;border-top:1px solid rgba(0,0,0,.08);background:var(--b)}',
    'textarea{flex:1;resize:none;border:1px solid rgba(0,0,0,.15);border-radius:20px;padding:10px 14px;font-size:15px;max-height:120px;min-height:42px;outline:none;background:#fff;color:#222}',
    'textarea:focus,input:focus{border-color:var(--p);box-shadow:0 0 0 1px var(--p);outline:none}',
    '.send{width:42px;height:42px;border-radius:50%;border:0;background:var(--p);color:var(--t);cursor:pointer;flex:none}',
    '.send:disabled{opacity:.5;cursor:default}.send svg{width:20px;height:20px;fill:currentColor}',
    'form.pre{padding:16px;display:flex;flex-direction:column;gap:10px;overflow-y:auto}',
    'form.pre p{margin:0 0 4px;color:var(--a)}',
    'label{font-size:13px;color:#555;display:flex;flex-direction:column;gap:4px}',
    'input{border:1px solid rgba(0,0,0,.15);border-radius:10px;padding:10px 12px;font-size:15px;outline:none}',
    '.start{margin-top:6px;border:0;border-radius:10px;padding:12px;background:var(--p);color:var(--t);font-size:15px;cursor:pointer}',
    '.brand{text-align:center;font-size:11px;color:#999;padding:0 0 6px;background:var(--b)}',
    '.end{background:rgba(255,255,255,.18);border:0;color:inherit;cursor:pointer;border-radius:8px;padding:6px 10px;font-size:12.5px}',
    '.end:hover{background:rgba(255,255,255,.3)}',
    '.csat{align-self:stretch;background:#fff;border:1px solid rgba(0,0,0,.07);border-radius:12px;padding:12px;display:flex;flex-direction:column;gap:8px}',
    '.csat p{margin:0}.scores{display:flex;gap:6px}',
    '.score{flex:1;height:38px;border-radius:8px;border:1px solid rgba(0,0,0,.15);background:#fff;color:#222;font-size:15px;cursor:pointer}',
    '.score[aria-checked=true]{background:var(--p);color:var(--t);border-color:var(--p)}',
    '.csat textarea{min-height:56px;border-radius:10px}.csat .start{margin-top:0}.start:disabled{opacity:.5;cursor:default}',
    ':focus-visible{outline:2px solid var(--p);outline-offset:2px}'
  ].join('');

  var CHAT_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.1-2.2c1 .3 2.1.4 3.3.4 5.5 0 10-3.9 10-8.6S17.5 3 12 3z"/></svg>';
  var SEND_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"/></svg>';

  // Appends a new element to `parent`; `attrs` become attributes.
  function add(parent, tag, cls, text, attrs) {
    var node = el(tag, cls, text);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function build() {
    var host = ui.host = add(document.body, 'div', null, null, { 'data-omni-chat': slug });
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    add(root, 'style', null, CSS);

    ui.bubble = add(null, 'button', 'bubble right', null, { type: 'button', 'aria-label': 'Open chat', 'aria-expanded': 'false' });
    ui.bubble.innerHTML = CHAT_ICON;  // a constant, never data
    ui.badge = add(ui.bubble, 'span', 'badge');
    ui.badge.hidden = true;
    ui.bubble.addEventListener('click', function () { setOpen(ui.panel.hidden); });

    ui.panel = add(root, 'div', 'panel right' + (pageMode ? ' page' : ''), null, { role: pageMode ? 'main' : 'dialog' });
    ui.panel.hidden = !pageMode;
    var header = add(ui.panel, 'header');
    ui.avatar = add(header, 'div', 'avatar', null, { 'aria-hidden': 'true' });
    var who = add(header, 'div', 'who');
    ui.title = add(who, 'div', 'title', 'Chat');
    var sub = add(who, 'div', 'sub');
    ui.dot = add(sub, 'span', 'dot');
    ui.subText = add(sub, 'span');
    ui.end = add(header, 'button', 'end', 'End chat', { type: 'button' });
    ui.end.hidden = !state.conversation;
    ui.end.addEventListener('click', endChat);
    if (!pageMode) {
      add(header, 'button', 'close', '×', { type: 'button', 'aria-label': 'Close chat' })
        .addEventListener('click', function () { setOpen(false); });
    }
    ui.notice = add(ui.panel, 'div', 'notice');
    ui.notice.hidden = true;
    ui.log = add(ui.panel, 'div', 'log', null, { role: 'log', 'aria-live': 'polite' });
    ui.pre = add(ui.panel, 'form', 'pre');
    ui.pre.hidden = true;
    ui.compose = add(ui.panel, 'form', 'compose');
    ui.input = add(ui.compose, 'textarea', null, null,
      { rows: '1', maxlength: '4000', placeholder: 'Type your message…', 'aria-label': 'Message' });
    ui.send = add(ui.compose, 'button', 'send', null, { type: 'submit', 'aria-label': 'Send message' });
    ui.send.innerHTML = SEND_ICON;  // a constant, never data
    add(ui.panel, 'div', 'brand', 'Powered by omni');
    if (!pageMode) root.appendChild(ui.bubble);

    ui.compose.addEventListener('submit', function (e) { e.preventDefault(); sendCurrent(); });
    ui.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendCurrent(); }
    });
    ui.input.addEventListener('input', function () {
      ui.input.style.height = 'auto';
      ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + 'px';
    });
    ui.panel.addEventListener('keydown', function (e) { if (e.key === 'Escape' && !pageMode) setOpen(false); });
  }

  function applySettings() {
    var w = settings.widget || {};
    var c = w.colors || {};
    var style = ui.host.style;
    style.setProperty('--p', safeColor(c.primary, '#2563eb'));
    style.setProperty('--t', safeColor(c.text, '#ffffff'));
    style.setProperty('--b', safeColor(c.background, '#f7f7f8'));
    style.setProperty('--a', safeColor(c.accent, '#222222'));
    var side = w.position === 'bottom-left' ? 'left' : 'right';
    ui.bubble.className = 'bubble ' + side;
    ui.panel.className = 'panel ' + side + (pageMode ? ' page' : '');
    var title = w.title || (settings.business && settings.business.name) || 'Chat';
    ui.title.textContent = title;
    ui.avatar.textContent = title.charAt(0).toUpperCase();
    ui.panel.setAttribute('aria-label', title);
    if (pageMode) document.title = title;
    var open = settings.open_now !== false;
    ui.dot.className = open ? 'dot' : 'dot off';
    if (settings.ai_enabled === false) {
      ui.subText.textContent = open ? 'Our team replies here' : 'Away';
      showNotice(open ? '' : 'We are closed right now. Leave a message and our team will reply when we open.');
    } else {
      ui.subText.textContent = open ? 'Online' : 'Assistant online · team away';
      showNotice(open ? '' : 'We are closed right now. Our assistant can still help, and the team will follow up.');
    }
  }
  function showNotice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = !text;
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.bubble.setAttribute('aria-expanded', String(open));
    ui.bubble.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    if (!pageMode) { state.open = open; save(); }
    if (open) {
      unread = 0;
      ui.badge.hidden = true;
      prepare();
      focusFirst();
      scrollDown();
    } else {
      ui.bubble.focus();
    }
  }
  function focusFirst() {
    var target = ui.pre.hidden ? ui.input : ui.pre.querySelector('input');
    if (target) target.focus();
  }

  // HTTP ------------------------------------------------------------------
  function request(path, options) {
    options = options || {};
    var headers = options.headers || {};
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    if (options.json !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(base + path, {
      method: options.method || 'GET', headers: headers, signal: options.signal,
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
      credentials: 'omit', cache: 'no-store'
    });
  }
  function errorText(response, body) {
    var error = body && body.error;
    if (error && error.code === 'origin_not_allowed') {
      // The site's developer reads the console: give them omni's reason and fix.
      if (window.console) console.error('omni: ' + error.message + (error.hint ? '\nhint: ' + error.hint : ''));
      return 'This site is not allowed to use this chat.';
    }
    if (response.status === 429) {
      var wait = response.headers.get('Retry-After');
      return 'You are sending messages quickly. Please wait ' + (wait || 'a few') + ' seconds.';
    }
    if (response.status === 413) return 'That message is too long. Please shorten it.';
    return (body && body.error && body.error.message) || 'Something went wrong. Please try again.';
  }

  function startSession(extra) {
    var payload = extra || {};
    if (state.token) payload.token = state.token;
    if (identity) { payload.identity = identity; payload.identity_hash = identityHash || ''; }
    return request('/session', { method: 'POST', json: payload }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var failure = new Error(errorText(response, body));
          failure.hint = body && body.error && body.error.code === 'invalid_input' ? body.error.hint : '';
          throw failure;
        }
        settings = body;
        state.token = body.token;
        state.visitor = body.visitor_id;
        if (body.conversation_id && !state.conversation) state.conversation = body.conversation_id;
        save();
        applySettings();
        return body;
      });
    });
  }
  // Runs `call`; on 401 (an expired token) renews the session once and retries.
  function authed(call) {
    return call().then(function (response) {
      if (response.status !== 401) return response;
      state.token = null;
      return startSession().then(call);
    });
  }

  // SSE over fetch: calls onEvent(name, data, id) per event until the end.
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          var name = 'message', data = [], id = null;
          block.split('\n').forEach(function (line) {
            if (!line || line.charAt(0) === ':') return;
            var colon = line.indexOf(':');
            var field = colon < 0 ? line : line.slice(0, colon);
            var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') name = value;
            else if (field === 'data') data.push(value);
            else if (field === 'id') id = value;
          });
          if (data.length) {
            var parsed;
            try { parsed = JSON.parse(data.join('\n')); } catch (e) { parsed = null; }
            if (parsed) onEvent(name, parsed, id);
          }
        }
        return pump();
      });
    }
    return pump();
  }

  // Markdown --------------------------------------------------------------
  // A safe subset, rendered into DOM nodes with textContent only. Rendering
  // here rather than on the server keeps omnid free of an HTML sanitizer
  // and of innerHTML in the page: what cannot be parsed stays text.
  var LINK = /^(https?:\/\/|mailto:)/i;
  function inline(parent, text) {
    // **bold**, *italic* or _italic_, [label](url); everything else is text.
    var pattern = /\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|(^|[^\w])_([^_\s][^_]*)_(?!\w)|\[([^\]]+)\]\(([^)\s]+)\)/g;
    var at = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      var start = match.index + (match[3] ? match[3].length : 0);
      if (start > at) parent.appendChild(document.createTextNode(text.slice(at, start)));
      if (match[1] !== undefined) {
        inline(add(parent, 'strong'), match[1]);
      } else if (match[2] !== undefined) {
        inline(add(parent, 'em'), match[2]);
      } else if (match[4] !== undefined) {
        inline(add(parent, 'em'), match[4]);
      } else if (LINK.test(match[6])) {
        var link = add(parent, 'a', null, match[5]);
        link.href = match[6];
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
      } else {
        parent.appendChild(document.createTextNode(match[5]));  // javascript: and the like stay text
      }
      at = match.index + match[0].length;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }
  function renderMarkdown(node, text, role) {
    node.textContent = '';
    var source = String(text || '').replace(/\r\n?/g, '\n');
    // A citation's [n] shows once, as its chip under the message.
    if (role === 'assistant') source = source.replace(/ ?\[\d{1,2}\](?!\()/g, '');
    source.split(/\n{2,}/).forEach(function (block) {
      var lines = block.split('\n').filter(function (line) { return line.trim() !== ''; });
      if (!lines.length) return;
      var bullet = /^\s*[-*+]\s+/, number = /^\s*\d{1,3}[.)]\s+/;
      var kind = lines.every(function (l) { return bullet.test(l); }) ? 'ul'
        : lines.every(function (l) { return number.test(l); }) ? 'ol' : null;
      if (kind) {
        var list = add(node, kind);
        lines.forEach(function (line) { inline(add(list, 'li'), line.replace(kind === 'ul' ? bullet : number, '')); });
        return;
      }
      var paragraph = add(node, 'p');
      lines.forEach(function (line, i) {
        if (i > 0) add(paragraph, 'br');
        inline(paragraph, line);
      });
    });
  }

  // Rendering -------------------------------------------------------------
  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }
  // A reply taller than the log keeps the visitor's question in view: the
  // log shows the start of the answer, not its end.
  function follow(question, reply) {
    var view = ui.log.getBoundingClientRect();
    var top = (question || reply).getBoundingClientRect().top;
    if (reply.getBoundingClientRect().bottom - top <= view.height - 16) { scrollDown(); return; }
    ui.log.scrollTop += top - view.top - 8;
  }
  function setText(node, role, text) {
    var target = node.querySelector('.text');
    if (role === 'user') target.textContent = text;
    else renderMarkdown(target, text, role);
  }
  function addMessage(role, text, author) {
    var node = add(ui.log, 'div', 'msg ' + role);
    if (role === 'human' && author) add(node, 'span', 'author', author);
    add(node, role === 'user' ? 'span' : 'div', 'text');
    setText(node, role, text);
    scrollDown();
    return node;
  }
  function addLine(cls, text) {
    var node = add(ui.log, 'div', cls, text);
    scrollDown();
    return node;
  }
  function addCitation(node, citation) {
    var list = node.querySelector('.cites');
    if (!list) list = add(node, 'div', 'cites');
    var label = '[' + (citation.number || list.childNodes.length + 1) + '] ' + (citation.title || citation.source || 'source');
    var source = String(citation.source || '');
    var link;
    if (/^https?:\/\//i.test(source)) {
      link = el('a', null, label);
      link.href = source;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    } else {
      link = el('span', null, label);
      if (source) link.title = source;
    }
    list.appendChild(link);
  }
  function renderStored(message) {
    if (shown[message.id]) return;
    shown[message.id] = true;
    if (message.seq > lastSeq) lastSeq = message.seq;
    var role = message.role === 'user' ? 'user' : message.role === 'human' ? 'human' : 'assistant';
    var node = addMessage(role, message.content, role === 'human' ? (message.author || 'Team') : null);
    (Array.isArray(message.citations) ? message.citations : []).forEach(function (c) { addCitation(node, c); });
    scrollDown();
    return node;
  }
  function typing(on) {
    if (on && !ui.typing) {
      ui.typing = add(null, 'div', 'typing', null, { 'aria-label': 'Assistant is typing' });
      for (var i = 0; i < 3; i++) add(ui.typing, 'i');
    }
    if (!ui.typing) return;
    if (on) { ui.log.appendChild(ui.typing); scrollDown(); } else if (ui.typing.parentNode) { ui.log.removeChild(ui.typing); }
  }

  // Conversation ------------------------------------------------------------
  var prepared = null;
  function prepare() {
    if (!prepared) {
      prepared = (settings ? Promise.resolve(settings) : startSession()).then(function () {
        var fields = (settings.widget && settings.widget.prechat_fields) || [];
        if (!state.conversation && !state.prechatDone && !identity && fields.length) { showPrechat(fields); return; }
        return resume();
      }).catch(function (error) {
        prepared = null;
        addLine('error', error.message || 'Chat is unavailable right now.');
      });
    }
    return prepared;
  }

  function greet() {
    var greeting = settings && settings.widget && settings.widget.greeting;
    if (greeting && !ui.log.querySelector('.greeting')) {
      var node = addMessage('assistant', greeting);
      node.className += ' greeting';
    }
  }

  function resume() {
    greet();
    if (!state.conversation) return Promise.resolve();
    return authed(function () {
      return request('/conversations/' + encodeURIComponent(state.conversation) + '/messages');
    }).then(function (response) {
      if (response.status === 404) { state.conversation = null; save(); return; }
      if (!response.ok) throw new Error('Could not load the conversation.');
      return response.json().then(function (body) {
        body.messages.forEach(renderStored);
        if (body.status === 'RESOLVED') askRating();
        listen();
      });
    });
  }

  var PRECHAT = { name: ['Name', 'text', 'name'], email: ['Email', 'email', 'email'], phone: ['Phone', 'tel', 'tel'] };
  function showPrechat(fields) {
    greet();
    ui.pre.textContent = '';
    add(ui.pre, 'p', null, 'Before we start, tell us who you are.');
    fields.forEach(function (field) {
      var spec = PRECHAT[field];
      if (!spec) return;
      var input = add(add(ui.pre, 'label', null, spec[0]), 'input', null, null,
        { name: field, type: spec[1], autocomplete: spec[2] });
      input.required = field === 'name';
    });
    var start = add(ui.pre, 'button', 'start', 'Start chat', { type: 'submit' });
    ui.pre.hidden = false;
    ui.compose.hidden = true;
    ui.pre.onsubmit = function (e) {
      e.preventDefault();
      var details = {};
      Array.prototype.forEach.call(ui.pre.querySelectorAll('input'), function (input) {
        if (input.value.trim()) details[input.name] = input.value.trim();
      });
      start.disabled = true;
      startSession(details).then(function () {
        state.prechatDone = true;
        save();
        ui.pre.hidden = true;
        ui.compose.hidden = false;
        ui.input.focus();
      }).catch(function (error) {
        start.disabled = false;
        // A detail the visitor typed wrong: the reason, then how to write it.
        var text = error.message.charAt(0).toUpperCase() + error.message.slice(1);
        addLine('error', error.hint ? text + '. ' + error.hint : text);
      });
    };
    focusFirst();
  }

  // The events stream: team replies and status changes, resumed after `lastSeq`.
  function listen() {
    if (events || !state.conversation) return;
    var controller = new AbortController();
    events = controller;
    var path = '/conversations/' + encodeURIComponent(state.conversation) + '/events?after=' + lastSeq;
    authed(function () { return request(path, { signal: controller.signal, headers: { Accept: 'text/event-stream' } }); })
      .then(function (response) {
        if (!response.ok) throw new Error('events: ' + response.status);
        eventsRetryMs = 1000;
        return readEvents(response, onServerEvent);
      })
      .catch(function () { /* reconnect below */ })
      .then(function () {
        if (events !== controller || controller.signal.aborted) return;
        events = null;
        setTimeout(listen, eventsRetryMs);
        eventsRetryMs = Math.min(eventsRetryMs * 2, 30000);
      });
  }
  // CSAT: once a conversation is resolved, or the visitor ends it, ask for
  // a rating from 1 to 5 and an optional comment, once per conversation.
  function askRating() {
    var id = state.conversation;
    if (!id || state.rated === id || ui.log.querySelector('.csat')) return;
    var form = add(ui.log, 'form', 'csat', null, { 'aria-label': 'Rate this conversation' });
    add(form, 'p', null, 'How did we do?');
    var scores = add(form, 'div', 'scores', null, { role: 'radiogroup', 'aria-label': 'Rating from 1 (poor) to 5 (great)' });
    var chosen = 0;
    var submit;
    var buttons = [1, 2, 3, 4, 5].map(function (n) {
      var button = add(scores, 'button', 'score', String(n),
        { type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': n + ' out of 5' });
      button.addEventListener('click', function () {
        chosen = n;
        buttons.forEach(function (b, i) { b.setAttribute('aria-checked', String(i + 1 === n)); });
        submit.disabled = false;
      });
      return button;
    });
    var comment = add(form, 'textarea', 'comment', null,
      { rows: '2', maxlength: '2000', placeholder: 'Anything to add? (optional)', 'aria-label': 'Comment' });
    submit = add(form, 'button', 'start', 'Send rating', { type: 'submit' });
    submit.disabled = true;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!chosen) return;
      submit.disabled = true;
      authed(function () {
        return request('/conversations/' + encodeURIComponent(id) + '/rating',
          { method: 'POST', json: { score: chosen, comment: comment.value.trim() } });
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (!response.ok) throw new Error(errorText(response, body));
          state.rated = id;
          save();
          form.remove();
          addLine('info', 'Thanks for your feedback!');
        });
      }).catch(function (error) {
        submit.disabled = false;
        addLine('error', error.message);
      });
    });
    scrollDown();
  }
  function endChat() {
    var id = state.conversation;
    if (!id) return;
    authed(function () {
      return request('/conversations/' + encodeURIComponent(id) + '/close', { method: 'POST', json: {} });
    }).then(function (response) {
      if (!response.ok) throw new Error('Could not end the conversation. Please try again.');
      ui.subText.textContent = 'Conversation ended';
      askRating();
    }).catch(function (error) { addLine('error', error.message); });
  }

  function onServerEvent(name, data) {
    if (name === 'status') {
      if (data.status === 'ESCALATED') ui.subText.textContent = 'A team member will reply here';
      else if (data.status === 'RESOLVED') { ui.subText.textContent = 'Conversation resolved'; askRating(); }
      else if (settings) applySettings();
      return;
    }
    if (name !== 'message') return;
    // While this tab streams a turn, its own messages arrive through the turn.
    if (busy && data.role !== 'human') return;
    if (shown[data.id]) return;
    renderStored(data);
    if (data.role === 'human') {
      typing(false);
      if (ui.panel.hidden) { unread += 1; ui.badge.textContent = String(unread); ui.badge.hidden = false; }
    }
  }

  function sendCurrent() {
    var text = ui.input.value.trim();
    if (!text || busy) return;
    ui.input.value = '';
    ui.input.style.height = 'auto';
    send(text);
  }

  function send(text) {
    busy = true;
    ui.send.disabled = true;
    var question = addMessage('user', text);
    typing(true);
    var reply = null, tool = null, replyText = '';
    function replyNode() {
      if (!reply) { typing(false); reply = addMessage('assistant', ''); }
      return reply;
    }
    function dropTool() {
      if (tool && tool.parentNode) tool.parentNode.removeChild(tool);
      tool = null;
    }
    function finish() {
      busy = false;
      ui.send.disabled = false;
      typing(false);
      dropTool();
      listen();
    }
    return (settings ? Promise.resolve() : startSession()).then(function () {
      return authed(function () {
        return request('/messages', {
          method: 'POST', json: { message: text, conversation_id: state.conversation || null },
          headers: { Accept: 'text/event-stream' }
        });
      });
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (response.status === 404) { state.conversation = null; save(); }
          throw new Error(errorText(response, body));
        });
      }
      var conversation = response.headers.get('X-Conversation-Id');
      if (conversation && conversation !== state.conversation) {
        state.conversation = conversation;
        save();
      }
      return readEvents(response, function (name, data) {
        if (name === 'token') {
          dropTool();
          replyText += data.text || '';
          setText(replyNode(), 'assistant', replyText);
          follow(question, reply);
        } else if (name === 'reset') {
          replyText = '';
          if (reply) setText(reply, 'assistant', '');
        } else if (name === 'tool') {
          // The line stays until the next step or the reply, so that a quick
          // tool is still seen.
          if (data.status === 'started') {
            if (!tool) { tool = addLine('tool', ''); }
            tool.textContent = TOOL_LABELS[data.name] || 'Working on it…';
            typing(true);
          }
        } else if (name === 'citation') {
          addCitation(replyNode(), data);
          follow(question, reply);
        } else if (name === 'handoff') {
          // The notice stands in for a reply only when there is none.
          if (data.message && !replyText) setText(replyNode(), 'assistant', replyText = data.message);
          addLine('info', 'A team member will continue this conversation here.');
        } else if (name === 'done') {
          if (data.conversation_id) { state.conversation = data.conversation_id; save(); }
          if (data.reply && data.reply !== replyText) {
            setText(replyNode(), 'assistant', data.reply);
            follow(question, reply);
          }
          if (data.message_id) shown[data.message_id] = true;
          if (!data.reply && !reply) typing(false);
        } else if (name === 'error') {
          addLine('error', data.message || 'The assistant could not answer. Please try again.');
        }
      });
    }).catch(function (error) {
      addLine('error', error.message || 'Could not send your message.');
    }).then(function () {
      // The messages of this turn, which the events stream skipped, are
      // history now: catch up first so the stream resumes after them.
      return catchUp();
    }).then(finish);
  }
  // Marks the messages stored so far as shown, so the events stream resumes after them.
  function catchUp() {
    if (!state.conversation) return;
    return request('/conversations/' + encodeURIComponent(state.conversation) + '/messages?after=' + lastSeq)
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        body.messages.forEach(function (m) {
          if (m.seq > lastSeq) lastSeq = m.seq;
          if (m.role === 'human' && !shown[m.id]) renderStored(m);
          shown[m.id] = true;
        });
      }).catch(function () { /* the events stream catches up on its own */ });
  }

  function boot() {
    build();
    startSession().then(function () {
      if (pageMode || state.open) setOpen(true);
      else if (state.conversation) prepare();
    }).catch(function () {
      ui.dot.className = 'dot off';
      if (pageMode) setOpen(true);
    });
    window.addEventListener('pagehide', function () { if (events) events.abort(); });
  }
  if (document.body) boot(); else document.addEventListener('DOMContentLoaded', boot);
})();
