// The console's script: chat with the assistant, follow each job's timeline live, decide the
// approvals of your tenant. It holds no authority of its own: every call carries the signed-in
// user's bearer token to the API, which verifies it and decides what that user may see and do;
// the page shows what the API answers, refusals included.
//
// Everything that came from the API or the model is put on the page with textContent (or as an
// attribute value through the DOM), never parsed as HTML: a proposal the model wrote is text.
"use strict";

const TERMINAL = new Set(["complete", "failed", "rejected"]);
const STATUSES = new Set([
  "accepted", "processing", "awaiting_approval", "complete", "failed", "rejected",
  "pending", "approved", "expired",
]);
const APPROVALS_EVERY_MS = 4000;
const STREAM_RETRY_MS = 1000;
const AWAITING_RETRY_MS = 5000;
// The local stack's console key (make dev prints the URL with it): only there can the page ask
// for the demo identities' tokens. It lives in this tab's session storage; tokens only in memory.
const KEY_ITEM = "governed-console-key";

const state = {
  token: null,
  controller: null,
  approvalsTimer: null,
  approvals: new Map(),
};

function byId(id) {
  return document.getElementById(id);
}

// The API's URL for a route path: the page is served from the API's root (GET /console).
function api(path) {
  return new URL(path, new URL(".", location.href)).toString();
}

function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, String(value));
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function statusClass(status) {
  return STATUSES.has(status) ? status : "";
}

function when(value, withDate = false) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return withDate ? date.toLocaleString() : date.toLocaleTimeString();
}

function showError(text) {
  byId("error").textContent = text || "";
}

// One call to the API with the user's token; the answer's status and its JSON body (if any).
async function call(method, path, body) {
  if (!state.controller) throw new DOMException("signed out", "AbortError");
  const headers = { Authorization: `Bearer ${state.token}` };
  const init = { method, headers, cache: "no-store", signal: state.controller.signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(api(path), init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { status: response.status, ok: response.ok, data, text };
}

// What the API said when it refused: its status, error code and message.
function refusal(answer) {
  const data = answer.data && typeof answer.data === "object" ? answer.data : {};
  const code = data.error || data.reason || "";
  const message = [data.message, data.detail].filter(Boolean).join(": ") || answer.text || "no answer";
  return `${answer.status}${code ? ` ${code}` : ""}: ${message}`;
}

// ------------------------------------------------------------------ signing in and out

// What the token says about its holder, for display only: the API verifies it on every call.
function describeToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part.padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    const registered = new Set([
      "iss", "aud", "iat", "exp", "nbf", "auth_time", "jti", "origin_jti", "event_id", "token_use",
      "at_hash", "client_id", "email_verified",
    ]);
    const shown = Object.entries(claims)
      .filter(([name, value]) => !registered.has(name) && (typeof value === "string" || Array.isArray(value)))
      .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(",") : value}`);
    return `Signed in: ${shown.join(" ")}`;
  } catch {
    return "Signed in with a pasted token";
  }
}

function signIn(token, label) {
  signOut();
  state.token = token.trim();
  state.controller = new AbortController();
  byId("who").textContent = label || describeToken(state.token);
  byId("sign-out").hidden = false;
  byId("sign-in").hidden = true;
  byId("chat").hidden = false;
  byId("approvals").hidden = false;
  showError("");
  loadApprovals();
  state.approvalsTimer = setInterval(loadApprovals, APPROVALS_EVERY_MS);
}

function signOut() {
  if (state.controller) state.controller.abort();
  clearInterval(state.approvalsTimer);
  state.token = null;
  state.controller = null;
  state.approvals.clear();
  byId("jobs").replaceChildren();
  byId("approval-list").replaceChildren();
  byId("approvals-note").textContent = "";
  byId("who").textContent = "Not signed in";
  byId("sign-out").hidden = true;
  byId("sign-in").hidden = false;
  byId("chat").hidden = true;
  byId("approvals").hidden = true;
}

// The API refused the token itself (401): sign out, and say why.
function refused(answer) {
  signOut();
  showError(`The API refused the token: ${refusal(answer)}`);
}

// Local stack only: the demo identities make dev prints, each with a token of its dev issuer.
async function loadDemoIdentities() {
  const found = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem(KEY_ITEM, decodeURIComponent(found[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const key = sessionStorage.getItem(KEY_ITEM);
  if (!key) return;
  let response;
  try {
    response = await fetch(api("console/demo-tokens"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key }),
      cache: "no-store",
    });
  } catch {
    return;
  }
  if (!response.ok) {
    sessionStorage.removeItem(KEY_ITEM);
    showError("This console key is not the running stack's: open the console URL make dev printed.");
    return;
  }
  const { identities } = await response.json();
  const list = byId("demo-identities");
  list.replaceChildren();
  for (const who of identities) {
    const label = `${who.user} of ${who.tenant} (${who.roles.join(", ") || "no roles"})`;
    const button = el("button", {
      className: "secondary",
      text: label,
      attrs: { type: "button", "data-user": who.user, "data-tenant": who.tenant },
    });
    button.addEventListener("click", () => signIn(who.token, `Signed in: ${label}`));
    list.append(el("li", {}, button, el("span", { className: "note", text: ` ${who.label}` })));
  }
  byId("demo").hidden = false;
}

// ------------------------------------------------------------------ messages and jobs

async function sendMessage(event) {
  event.preventDefault();
  const message = byId("message").value.trim();
  if (!message || !state.token) return;
  byId("send").disabled = true;
  try {
    const answer = await call("POST", "messages", { message });
    if (answer.status === 401) return refused(answer);
    if (!answer.ok || !answer.data || !answer.data.jobId) {
      showError(`The message was not accepted: ${refusal(answer)}`);
      return;
    }
    showError("");
    byId("message").value = "";
    const job = addJob(answer.data.jobId, message, answer.data.status);
    if (answer.data.status === "rejected") {
      job.outcome.replaceChildren(el("p", { className: "error", text: answer.data.message }));
    } else {
      follow(job);
    }
  } catch (error) {
    if (error.name !== "AbortError") showError(`The API could not be reached: ${error.message}`);
  } finally {
    byId("send").disabled = false;
  }
}

function addJob(jobId, message, status) {
  const badge = el("span", { className: "badge" });
  const timeline = el("ol", { className: "timeline", attrs: { "aria-label": "timeline" } });
  const outcome = el("div", { className: "outcome" });
  const card = el(
    "li",
    { className: "card job", attrs: { "data-job-id": jobId } },
    el("h3", { text: message }),
    el("p", { className: "meta" }, el("span", { text: `Job ${jobId} ` }), badge),
    timeline,
    outcome,
  );
  byId("jobs").prepend(card);
  const job = { id: jobId, card, badge, timeline, outcome, status: null };
  setStatus(job, status);
  return job;
}

function setStatus(job, status) {
  job.status = status;
  job.badge.textContent = String(status).replace(/_/g, " ");
  job.badge.className = `badge ${statusClass(status)}`;
  job.card.dataset.status = status;
}

function addStage(job, progress) {
  job.timeline.append(
    el(
      "li",
      { attrs: { "data-seq": progress.seq, "data-stage": progress.stage, "data-status": progress.status } },
      el("span", { className: "meta", text: `${when(progress.at)} ` }),
      el("span", { className: "stage", text: progress.stage }),
      el("span", { className: "meta", text: ` - ${String(progress.status).replace(/_/g, " ")}` }),
    ),
  );
  setStatus(job, progress.status);
}

// One server-sent event block: its id, name, data and retry fields.
function parseEvent(block) {
  const event = { id: null, name: "message", data: [], retry: null };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") event.id = value;
    else if (field === "event") event.name = value;
    else if (field === "data") event.data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) event.retry = Number(value);
  }
  return event;
}

// Follow GET /jobs/{id}/events with fetch and a stream reader (an EventSource cannot send the
// Authorization header). The local stack keeps the stream open until the job ends; API Gateway
// answers with the events so far and a retry: line, so the page reconnects with Last-Event-ID.
async function follow(job) {
  const signal = state.controller.signal;
  let last = null;
  try {
    while (!signal.aborted) {
      const headers = { Authorization: `Bearer ${state.token}` };
      if (last !== null) headers["Last-Event-ID"] = last;
      const response = await fetch(api(`jobs/${encodeURIComponent(job.id)}/events`), {
        headers,
        cache: "no-store",
        signal,
      });
      if (response.status === 204) break;
      if (!response.ok) {
        const text = await response.text();
        let data = null;
        try {
          data = JSON.parse(text);
        } catch {
          data = null;
        }
        job.outcome.replaceChildren(el("p", { className: "error", text: refusal({ status: response.status, data, text }) }));
        return;
      }
      let retry = STREAM_RETRY_MS;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = parseEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (event.retry !== null) retry = event.retry;
          if (event.id !== null) last = event.id;
          if (event.name === "progress" && event.data.length) addStage(job, JSON.parse(event.data.join("\n")));
        }
      }
      if (TERMINAL.has(job.status)) break;
      // A job waiting for a person may wait hours: ask less often then (each ask is a function call).
      const pause = job.status === "awaiting_approval" ? Math.max(retry, AWAITING_RETRY_MS) : retry;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    await showResult(job);
  } catch (error) {
    if (error.name !== "AbortError") {
      job.outcome.replaceChildren(el("p", { className: "error", text: `The stream broke: ${error.message}` }));
    }
  }
}

// The ended job as GET /jobs/{id} reads: its answer, its error, the gate's reasons.
async function showResult(job) {
  const answer = await call("GET", `jobs/${encodeURIComponent(job.id)}`);
  if (!answer.ok) {
    job.outcome.replaceChildren(el("p", { className: "error", text: refusal(answer) }));
    return;
  }
  const found = answer.data;
  setStatus(job, found.status);
  const result = found.result || {};
  const parts = [];
  if (result.text) parts.push(el("p", { className: "answer", text: result.text }));
  if (found.error) parts.push(el("p", { className: "error", text: found.error }));
  const reasons = (result.decision && result.decision.reasons) || [];
  if (reasons.length) {
    parts.push(el("ul", { className: "reasons" }, ...reasons.map((reason) => el("li", { text: reason }))));
  }
  if (result.results && Object.keys(result.results).length) {
    parts.push(el("pre", { text: JSON.stringify(result.results, null, 2) }));
  }
  job.outcome.replaceChildren(...parts);
}

// ------------------------------------------------------------------ approvals

async function loadApprovals() {
  if (!state.token) return;
  let answer;
  try {
    answer = await call("GET", "approvals");
  } catch (error) {
    if (error.name !== "AbortError") byId("approvals-note").textContent = `The API could not be reached: ${error.message}`;
    return;
  }
  if (answer.status === 401) return refused(answer);
  const note = byId("approvals-note");
  if (!answer.ok) {
    // The API decides who may approve: a user without an approver role is told so, by the API.
    clearInterval(state.approvalsTimer);
    state.approvals.clear();
    byId("approval-list").replaceChildren();
    note.textContent = `Nothing to decide here. The API says ${refusal(answer)}`;
    return;
  }
  const pending = answer.data.approvals || [];
  note.textContent = pending.length ? "" : "No approval is waiting for you.";
  const ids = new Set(pending.map((approval) => approval.approvalId));
  for (const [id, card] of state.approvals) {
    if (!ids.has(id) && !card.dataset.decided) {
      card.remove();
      state.approvals.delete(id);
    }
  }
  for (const approval of pending) {
    if (!state.approvals.has(approval.approvalId)) {
      const card = approvalCard(approval);
      state.approvals.set(approval.approvalId, card);
      byId("approval-list").append(card);
    }
  }
}

function approvalCard(approval) {
  const details = approval.details || {};
  const proposal = details.proposal || {};
  const decision = details.decision || {};
  const reasons = decision.reasons || [];
  const comment = el("input", { attrs: { type: "text", "aria-label": "comment", placeholder: "Comment (optional)" } });
  const approve = el("button", { className: "approve", text: "Approve", attrs: { type: "button" } });
  const reject = el("button", { className: "reject", text: "Reject", attrs: { type: "button" } });
  const outcome = el("p", { className: "note decision" });
  const card = el(
    "li",
    { className: "card approval", attrs: { "data-approval-id": approval.approvalId, "data-job-id": approval.jobId } },
    el("h3", { className: "action", text: `${proposal.actionType || "?"} on ${proposal.resourceId || "?"}` }),
    el(
      "p",
      { className: "meta" },
      el("span", { text: `Asked by ${approval.requestedBy} · job ${approval.jobId} · expires ${when(approval.expiresAt, true)} · ` }),
      el("span", { className: "risk", text: `risk ${decision.risk ?? "?"}` }),
    ),
    el("p", { className: "summary", text: approval.summary }),
    reasons.length ? el("ul", { className: "reasons" }, ...reasons.map((reason) => el("li", { text: reason }))) : null,
    el("label", { text: "Proposal" }),
    el("pre", { className: "proposal", text: JSON.stringify(proposal, null, 2) }),
    comment,
    el("div", { className: "row" }, approve, reject),
    outcome,
  );
  const decide = async (verdict) => {
    approve.disabled = reject.disabled = true;
    const body = { decision: verdict };
    if (comment.value.trim()) body.comment = comment.value.trim();
    let answer;
    try {
      answer = await call("POST", `approvals/${encodeURIComponent(approval.approvalId)}`, body);
    } catch (error) {
      if (error.name === "AbortError") return;
      outcome.textContent = `The API could not be reached: ${error.message}`;
      approve.disabled = reject.disabled = false;
      return;
    }
    if (answer.status === 401) return refused(answer);
    if (answer.ok) {
      card.dataset.decided = answer.data.status;
      outcome.textContent = `${answer.data.status} by ${answer.data.decidedBy}`;
      outcome.className = `badge ${statusClass(answer.data.status)} decision`;
    } else {
      outcome.textContent = `Refused: ${refusal(answer)}`;
      outcome.className = "error decision";
      approve.disabled = reject.disabled = false;
    }
  };
  approve.addEventListener("click", () => decide("approve"));
  reject.addEventListener("click", () => decide("reject"));
  return card;
}

// ------------------------------------------------------------------ wiring

document.addEventListener("DOMContentLoaded", () => {
  byId("paste-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = byId("token").value.trim().replace(/^Bearer\s+/i, "");
    byId("token").value = "";
    if (token) signIn(token);
  });
  byId("sign-out").addEventListener("click", () => {
    signOut();
    showError("");
  });
  byId("message-form").addEventListener("submit", sendMessage);
  byId("refresh-approvals").addEventListener("click", loadApprovals);
  // The banner's URL opened again in this tab changes the fragment only: take its key then too.
  window.addEventListener("hashchange", loadDemoIdentities);
  loadDemoIdentities();
});
