// The live demo page: a player's balances and latest ledger entries, kept current over graphql-ws.
// Plain browser JavaScript, no build step; graphql-ws's browser build (window.graphqlWs) is served
// by the gateway at /live/vendor/graphql-ws.min.js.
//
// Resume rule: a sequence is per wallet, so the page subscribes once per asset with
// afterSequence = the wallet's lastSequence it has shown. After a dropped connection it
// resubscribes from the last sequence it displayed: the gateway replays what was missed, and any
// change at or below that sequence is ignored, so each entry appears exactly once.
(function () {
  'use strict';

  var LEDGER_ROWS = 15;
  // paid/free split the balance by where it came from (PAID topups, FREE credits); expiring lists
  // the lots with an expiry, soonest first, and the page shows the first.
  var WALLET =
    'balance available lastSequence paid free status expiring { origin amount expiresAt } asset { code name decimals }';
  var SNAPSHOT =
    'query LiveSnapshot($userId: ID!, $first: Int!) {\n' +
    '  balances(userId: $userId) { ' +
    WALLET +
    ' }\n' +
    '  ledger(userId: $userId, first: $first) { edges { node { ...LiveEntry } } }\n' +
    '}\n' +
    'fragment LiveEntry on LedgerEntry { id sequence direction amount balanceAfter kind createdAt asset { code } transaction { reference } }';
  var BALANCE_CHANGED =
    'subscription LiveBalance($userId: ID!, $asset: ID, $afterSequence: Amount) {\n' +
    '  balanceChanged(userId: $userId, asset: $asset, afterSequence: $afterSequence) {\n' +
    '    wallet { ' +
    WALLET +
    ' }\n' +
    '    entry { ...LiveEntry }\n' +
    '  }\n' +
    '}\n' +
    'fragment LiveEntry on LedgerEntry { id sequence direction amount balanceAfter kind createdAt asset { code } transaction { reference } }';

  var $ = function (id) {
    return document.getElementById(id);
  };
  var session = null; // { token, userId, wallets: Map, entries: [], client, subscriptions: Map, ended }

  function setStatus(state, text) {
    var status = $('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  function showError(message) {
    var error = $('error');
    error.hidden = !message;
    error.textContent = message || '';
  }

  /** The token's subject (its user id for a player), read without verification: display only. */
  function tokenSubject(token) {
    try {
      var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (part.length % 4) part += '=';
      return JSON.parse(atob(part)).sub || '';
    } catch {
      return '';
    }
  }

  /** Minor units (a decimal string) shown with the asset's decimals, without ever using floats. */
  function formatAmount(minor, decimals) {
    var value = BigInt(minor);
    var sign = value < 0n ? '-' : '';
    var digits = (value < 0n ? -value : value).toString().padStart(decimals + 1, '0');
    var whole = decimals > 0 ? digits.slice(0, -decimals) : digits;
    var fraction = decimals > 0 ? '.' + digits.slice(-decimals) : '';
    return sign + whole.replace(/\B(?=(\d{3})+$)/g, ',') + fraction;
  }

  async function graphql(token, query, variables) {
    var response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ query: query, variables: variables }),
    });
    var body = await response.json();
    if (body.errors && body.errors.length) {
      var first = body.errors[0];
      throw new Error(
        ((first.extensions && first.extensions.code) || 'ERROR') + ': ' + first.message,
      );
    }
    return body.data;
  }

  function renderBalances(flashAsset) {
    var tbody = $('balances').tBodies[0];
    tbody.textContent = '';
    session.wallets.forEach(function (wallet, code) {
      var row = document.createElement('tr');
      row.dataset.asset = code;
      if (code === flashAsset) row.className = 'flash';
      addCell(row, wallet.asset.name + ' (' + code + ')');
      addCell(row, formatAmount(wallet.balance, wallet.asset.decimals), 'num balance');
      addCell(row, formatAmount(wallet.available, wallet.asset.decimals), 'num available');
      addCell(row, formatAmount(wallet.paid, wallet.asset.decimals), 'num paid');
      addCell(row, formatAmount(wallet.free, wallet.asset.decimals), 'num free');
      addCell(row, expiringText(wallet), 'expiring');
      addCell(row, wallet.status, 'status' + (wallet.status === 'FROZEN' ? ' frozen' : ''));
      addCell(row, wallet.lastSequence, 'num sequence');
      tbody.appendChild(row);
    });
  }

  function renderLedger(flashId) {
    var tbody = $('ledger').tBodies[0];
    tbody.textContent = '';
    session.entries.forEach(function (entry) {
      var wallet = session.wallets.get(entry.asset.code);
      var decimals = wallet ? wallet.asset.decimals : 0;
      var row = document.createElement('tr');
      row.dataset.entryId = entry.id;
      if (entry.id === flashId) row.className = 'flash';
      addCell(row, new Date(entry.createdAt).toLocaleTimeString());
      addCell(row, entry.asset.code);
      addCell(row, entry.kind);
      var sign = entry.direction === 'CREDIT' ? '+' : '-';
      addCell(
        row,
        sign + formatAmount(entry.amount, decimals),
        'num ' + (entry.direction === 'CREDIT' ? 'credit' : 'debit'),
      );
      addCell(row, formatAmount(entry.balanceAfter, decimals), 'num');
      addCell(row, entry.sequence, 'num');
      addCell(row, (entry.transaction && entry.transaction.reference) || '');
      tbody.appendChild(row);
    });
  }

  /** The soonest expiring lot: its amount, origin and expiry (UTC, to the minute); a dash if none. */
  function expiringText(wallet) {
    var lot = wallet.expiring && wallet.expiring[0];
    if (!lot) return '—';
    var when = new Date(lot.expiresAt).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    return formatAmount(lot.amount, wallet.asset.decimals) + ' ' + lot.origin + ' · ' + when;
  }

  function addCell(row, text, className) {
    var cell = document.createElement('td');
    cell.textContent = text;
    if (className) cell.className = className;
    row.appendChild(cell);
  }

  function applyChange(current, change) {
    var code = change.wallet.asset.code;
    var wallet = current.wallets.get(code);
    var sequence = BigInt(change.entry.sequence);
    // Already shown (a replay overlapping what was delivered before a reconnect).
    if (wallet && sequence <= BigInt(wallet.lastSequence)) return;
    // A change carries the wallet as of its entry, with its expiring lots as of delivery.
    current.wallets.set(code, change.wallet);
    current.entries.unshift(change.entry);
    current.entries.length = Math.min(current.entries.length, LEDGER_ROWS);
    renderBalances(code);
    renderLedger(change.entry.id);
  }

  function liveText(current) {
    return (
      'Live: ' +
      current.userId +
      ' (' +
      current.subscriptions.size +
      ' wallet' +
      (current.subscriptions.size === 1 ? '' : 's') +
      ')'
    );
  }

  function subscribe(current, code, failures) {
    if (current.ended) return;
    var wallet = current.wallets.get(code);
    var variables = {
      userId: current.userId,
      asset: code,
      afterSequence: wallet ? wallet.lastSequence : '0',
    };
    var entry = { dispose: null, timer: null };
    current.subscriptions.set(code, entry);
    entry.dispose = current.client.subscribe(
      { query: BALANCE_CHANGED, variables: variables },
      {
        next: function (result) {
          if (result.errors && result.errors.length) {
            showError(result.errors[0].message);
            return;
          }
          failures = 0;
          applyChange(current, result.data.balanceChanged);
        },
        error: function (error) {
          if (current.ended) return;
          if (Array.isArray(error)) {
            // A GraphQL error (forbidden, bad input): final for this subscription.
            var first = error[0] || {};
            showError(
              ((first.extensions && first.extensions.code) || 'ERROR') + ': ' + first.message,
            );
            setStatus('error', 'Subscription refused.');
            return;
          }
          // The connection dropped: resume after the last sequence shown, with backoff.
          failures += 1;
          setStatus('reconnecting', 'Connection lost; reconnecting (attempt ' + failures + ')…');
          var delayMs = Math.min(10000, 250 * Math.pow(2, Math.min(failures - 1, 6)));
          entry.timer = setTimeout(function () {
            subscribe(current, code, failures);
          }, delayMs);
        },
        complete: function () {
          // The server ended the stream (a slow consumer, a shutdown): resume like after a drop.
          if (current.ended) return;
          entry.timer = setTimeout(function () {
            subscribe(current, code, 1);
          }, 250);
        },
      },
    );
  }

  function stop() {
    if (!session) return;
    session.ended = true;
    session.subscriptions.forEach(function (entry) {
      if (entry.timer) clearTimeout(entry.timer);
      if (entry.dispose) entry.dispose();
    });
    if (session.client) session.client.dispose();
    session = null;
    $('disconnect').disabled = true;
    setStatus('idle', 'Not connected.');
  }

  async function start(event) {
    event.preventDefault();
    stop();
    showError('');
    var token = $('token').value.trim();
    var userId = $('user-id').value.trim() || tokenSubject(token);
    if (!userId) {
      showError('No user id: enter one, or use a player token.');
      return;
    }
    var current = {
      token: token,
      userId: userId,
      wallets: new Map(),
      entries: [],
      client: null,
      subscriptions: new Map(),
      ended: false,
    };
    session = current;
    $('user-label').textContent = '· ' + userId;
    setStatus('connecting', 'Loading ' + userId + '…');
    try {
      var data = await graphql(token, SNAPSHOT, { userId: userId, first: LEDGER_ROWS });
      if (current.ended) return;
      data.balances.forEach(function (wallet) {
        current.wallets.set(wallet.asset.code, wallet);
      });
      current.entries = data.ledger.edges.map(function (edge) {
        return edge.node;
      });
      renderBalances();
      renderLedger();
    } catch (error) {
      showError(error.message);
      setStatus('error', 'Could not load the wallet.');
      session = null;
      return;
    }
    var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
    current.client = window.graphqlWs.createClient({
      url: wsUrl,
      connectionParams: function () {
        return { authorization: 'Bearer ' + current.token };
      },
      lazy: true,
      // Reconnecting is done per subscription above, so that it resumes from the latest sequence.
      retryAttempts: 0,
      on: {
        connected: function () {
          if (!current.ended) setStatus('live', liveText(current));
        },
      },
    });
    current.wallets.forEach(function (wallet, code) {
      subscribe(current, code, 0);
    });
    $('disconnect').disabled = false;
  }

  // For tests and demos: drops the websocket as a network failure would, to watch the resume.
  window.walletLive = {
    dropConnection: function () {
      if (session && session.client) session.client.terminate();
    },
  };

  $('connect-form').addEventListener('submit', start);
  $('disconnect').addEventListener('click', stop);
  // A token in the fragment (/live#token=...) fills the form; fragments never reach the server's logs.
  var fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) $('token').value = fragment.get('token');
  if (fragment.get('userId')) $('user-id').value = fragment.get('userId');
})();
