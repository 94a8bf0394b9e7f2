"use strict";
const TEXT = {
  zh: {
    title: "会员数据看板", key: "管理员 API 密钥（admin key）", open: "打开看板", logout: "退出",
    members: "会员总数", active_7d: "7日活跃率", repurchase: "30日复购率", sales: "会员消费",
    orders: "订单数", aov: "客单价", points_issued: "积分发放", points_outstanding: "积分负债",
    wallet: "储值余额", new_members: "新增会员", vs: "较上期",
    chart_members: "会员与活跃（每日）", chart_sales: "会员消费（每日）",
    chart_points: "积分发放与消耗（每日）", chart_tiers: "等级分布", coupons: "优惠券（按模板）",
    jobs: "最近的夜间任务", active: "活跃会员", issued: "发放", redeemed: "核销", template: "模板",
    job: "任务", day: "日期", status: "状态", redeemed_points: "消耗", expired: "过期",
    bad_key: "密钥无效或无权访问：请输入管理员（admin）密钥。",
    failed: "读取数据失败：", range: "近30天", no_tier: "无等级",
    chart_ratios: "活跃率与复购率（每日）", active_30d: "30日活跃率",
    rfm: "RFM 热力图（最近消费 × 消费频率）", segments: "RFM 客户分群", search: "查找会员",
    search_hint: "手机号或邮箱", find: "查找", recency: "最近消费（R，5 为最近）",
    frequency: "消费频率（F，5 为最多）", rfm_missing: "尚未计算 RFM：夜间 rfm 任务运行后显示。",
    rfm_as_of: "样本日期", sampled: "抽样会员", not_found: "没有该会员。", member_id: "会员号",
    phone: "手机", email: "邮箱", tier: "等级", points: "积分余额", lifecycle: "状态",
    rfm_scores: "R / F / M", segment: "分群", last_purchase: "最近消费",
    days_ago: "天前", never: "无", active_state: "活跃", dormant_state: "沉睡", churned_state: "流失",
  },
  en: {
    title: "Loyalty dashboard", key: "Admin API key", open: "Open the dashboard", logout: "Log out",
    members: "Members", active_7d: "7-day active", repurchase: "30-day repurchase",
    sales: "Members' sales", orders: "Orders", aov: "Average order", points_issued: "Points issued",
    points_outstanding: "Points liability", wallet: "Stored value", new_members: "New members",
    vs: "vs previous", chart_members: "Members and activity (daily)",
    chart_sales: "Members' sales (daily)", chart_points: "Points issued and spent (daily)",
    chart_tiers: "Tiers", coupons: "Coupons by template", jobs: "Recent nightly jobs",
    active: "Active members", issued: "Issued", redeemed: "Redeemed", template: "Template",
    job: "Job", day: "Day", status: "Status", redeemed_points: "Redeemed", expired: "Expired",
    bad_key: "This key is not valid here: enter an admin key.",
    failed: "Could not read the figures: ", range: "last 30 days", no_tier: "no tier",
    chart_ratios: "Active and repurchase ratios (daily)", active_30d: "30-day active",
    rfm: "RFM heat map (recency × frequency)", segments: "RFM segments", search: "Find a member",
    search_hint: "phone or email", find: "Find", recency: "Recency (R, 5 = most recent)",
    frequency: "Frequency (F, 5 = most often)",
    rfm_missing: "No RFM yet: it shows once the nightly rfm job has run.",
    rfm_as_of: "sample of", sampled: "members sampled", not_found: "No such member.",
    member_id: "Member", phone: "Phone", email: "Email", tier: "Tier", points: "Points",
    lifecycle: "State", rfm_scores: "R / F / M", segment: "Segment",
    last_purchase: "Last purchase", days_ago: "days ago", never: "none",
    active_state: "active", dormant_state: "dormant", churned_state: "churned",
  },
};
const KEY = "loyalty.adminKey";
let locale = sessionStorage.getItem("loyalty.locale") || "zh";
let charts = [];
let data = null;
let found = null;  // the member search's last answer

const $ = (id) => document.getElementById(id);
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const t = (name) => TEXT[locale][name];
const money = (minor) => (minor / 100).toLocaleString(locale === "zh" ? "zh-CN" : "en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (r) => r === null || r === undefined ? "–" : (r * 100).toFixed(1) + "%";

function translate() {
  document.documentElement.lang = locale;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $("locale").textContent = locale === "zh" ? "English" : "中文";
}

async function api(path, payload) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem(KEY) };
  const options = payload === undefined ? { headers } : {
    method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(payload),
  };
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) { const e = new Error(body.error ? body.error.message : response.status); e.status = response.status; throw e; }
  return body;
}

async function load() {
  const now = await api("/v1/admin/kpis?grain=day");
  const first = new Date(now.first_day + "T00:00:00Z");
  const prevTo = new Date(first.getTime() - 86400000).toISOString().slice(0, 10);
  const prevFrom = new Date(first.getTime() - 30 * 86400000).toISOString().slice(0, 10);
  const [previous, jobs, rfm] = await Promise.all([
    api(`/v1/admin/kpis?grain=day&from=${prevFrom}&to=${prevTo}`),
    api("/v1/admin/jobs?limit=10"),
    api("/v1/admin/rfm").catch((e) => { if (e.status === 409) return null; throw e; }),  // no sample yet
  ]);
  data = { now, previous, jobs, rfm };
  render();
}

function change(current, before) {
  if (before === null || before === undefined || before === 0 || current === null) return "";
  const r = (current - before) / Math.abs(before);
  return `<div class="change ${r >= 0 ? "up" : "down"}">${t("vs")} ${r >= 0 ? "+" : ""}${(r * 100).toFixed(1)}%</div>`;
}

function render() {
  const { now, previous, jobs, rfm } = data;
  const cur = now.totals, prev = previous.totals, n = now.now;
  const warned = new Set(n.warnings.map((w) => w.code));
  const tiles = [
    ["members", n.members, n.members, null, ""],
    ["new_members", cur.members_new, cur.members_new, prev.members_new, ""],
    ["active_7d", pct(n.active_ratio_7d), null, null, warned.has("active_ratio_7d_low") ? "warn" : ""],
    ["repurchase", pct(n.repurchase_rate_30d), null, null, warned.has("repurchase_rate_30d_low") ? "warn" : ""],
    ["sales", money(cur.sales), cur.sales, prev.sales, ""],
    ["orders", cur.orders, cur.orders, prev.orders, ""],
    ["aov", cur.average_order_value === null ? "–" : money(cur.average_order_value), cur.average_order_value, prev.average_order_value, ""],
    ["points_issued", cur.points_issued, cur.points_issued, prev.points_issued, ""],
    ["points_outstanding", n.liability.points_outstanding, null, null, ""],
    ["wallet", money(n.liability.wallet_outstanding), null, null, ""],
  ];
  $("tiles").innerHTML = tiles.map(([name, shown, value, before, cls]) =>
    `<div class="tile ${cls}" data-tile="${name}"><div class="label">${t(name)}</div>` +
    `<div class="value">${shown}</div>${change(value, before)}</div>`).join("");
  $("warnings").innerHTML = n.warnings.map((w) => `<p class="down">⚠ ${esc(w.message[locale])}</p>`).join("");
  $("range").textContent = `${now.first_day} – ${now.last_day}`;
  charts.forEach((c) => c.destroy());
  const days = now.periods.map((p) => p.period_start.slice(5));
  const line = (id, sets) => new Chart($(id), { type: "line", data: { labels: days, datasets: sets }, options: { animation: false, responsive: true } });
  charts = [
    line("chart-members", [
      { label: t("new_members"), data: now.periods.map((p) => p.members_new) },
      { label: t("active"), data: now.periods.map((p) => p.active) },
    ]),
    line("chart-sales", [{ label: t("sales"), data: now.periods.map((p) => p.sales / 100) }]),
    line("chart-points", [
      { label: t("points_issued"), data: now.periods.map((p) => p.points_issued) },
      { label: t("redeemed_points"), data: now.periods.map((p) => p.points_redeemed + p.points_exchanged) },
      { label: t("expired"), data: now.periods.map((p) => p.points_expired) },
    ]),
    line("chart-ratios", [  // %, kept nightly by the figures job: a gap before it ran
      { label: t("active_7d"), data: now.periods.map((p) => p.active_ratio_7d === null ? null : p.active_ratio_7d * 100) },
      { label: t("active_30d"), data: now.periods.map((p) => p.active_ratio_30d === null ? null : p.active_ratio_30d * 100) },
      { label: t("repurchase"), data: now.periods.map((p) => p.repurchase_rate_30d === null ? null : p.repurchase_rate_30d * 100) },
    ]),
    new Chart($("chart-tiers"), { type: "bar", data: { labels: Object.keys(n.tiers).map((tier) => tier === "-" ? t("no_tier") : tier), datasets: [{ label: t("members"), data: Object.values(n.tiers) }] }, options: { animation: false } }),
  ];
  const coupons = Object.entries(cur.coupons).sort((a, b) => b[1].issued - a[1].issued).slice(0, 10);
  $("coupons").innerHTML = `<tr><th>${t("template")}</th><th>${t("issued")}</th><th>${t("redeemed")}</th></tr>` +
    coupons.map(([id, c]) => `<tr><td>${esc(id)}</td><td>${c.issued}</td><td>${c.redeemed}</td></tr>`).join("");
  renderRfm(rfm);
  $("jobs").innerHTML = `<tr><th>${t("job")}</th><th>${t("day")}</th><th>${t("status")}</th></tr>` +
    jobs.runs.map((r) => `<tr><td>${esc(r.job)}</td><td>${esc(r.business_date)}</td><td>${esc(r.status)}</td></tr>`).join("");
}

function renderRfm(rfm) {
  if (!rfm) { $("rfm-note").textContent = t("rfm_missing"); $("rfm").innerHTML = ""; return; }
  $("rfm-note").textContent = `${t("rfm_as_of")} ${rfm.sample_date} · ${t("sampled")} ${rfm.sampled} / ${rfm.population}`;
  const cell = {};
  rfm.grid.forEach((c) => { cell[`${c.r}${c.f}`] = c.members; });
  const most = Math.max(1, ...rfm.grid.map((c) => c.members));
  let rows = `<tr><th>R \\ F</th>${[1, 2, 3, 4, 5].map((f) => `<th>F${f}</th>`).join("")}</tr>`;
  for (const r of [5, 4, 3, 2, 1]) {
    rows += `<tr><th>R${r}</th>` + [1, 2, 3, 4, 5].map((f) => {
      const n = cell[`${r}${f}`] || 0, alpha = (0.08 + 0.82 * n / most).toFixed(2);
      return `<td data-cell="${r}${f}" style="background: rgba(22, 93, 255, ${alpha}); color: ${n / most > 0.5 ? "#fff" : "#1d2129"}">${n}</td>`;
    }).join("") + "</tr>";
  }
  $("rfm").innerHTML = rows;
  const named = rfm.segments.filter((s) => s.members);
  charts.push(new Chart($("chart-segments"), {
    type: "bar",
    data: { labels: named.map((s) => s.name[locale]), datasets: [{ label: t("members"), data: named.map((s) => s.members) }] },
    options: { animation: false, indexAxis: "y" },
  }));
}

async function find(who) {
  $("found").textContent = "";
  const body = who.includes("@") ? { email: who } : { phone: who };
  try {
    const m = await api("/v1/members/lookup", body);
    const r = await api(`/v1/admin/members/${encodeURIComponent(m.member_id)}/rfm`);
    found = { m, r };
    renderFound();
  } catch (e) {
    found = null;
    $("found").textContent = e.status === 404 ? t("not_found") : t("failed") + e.message;
  }
}

function renderFound() {
  if (!found) return;
  const { m, r } = found;
  const rows = [
    ["member_id", m.member_id], ["phone", m.phone || "–"], ["email", m.email || "–"],
    ["tier", m.tier || t("no_tier")], ["points", m.points_balance], ["lifecycle", t(`${m.lifecycle_state}_state`)],
    ["last_purchase", r.recency_days === null ? t("never") : `${r.recency_days} ${t("days_ago")}`],
    ["rfm_scores", r.r === null ? "–" : `${r.r} / ${r.f} / ${r.m}`],
    ["segment", r.segment_name ? r.segment_name[locale] : "–"],
  ];
  $("found").innerHTML = "<dl>" + rows.map(([k, v]) => `<dt>${t(k)}</dt><dd data-field="${k}">${esc(v)}</dd>`).join("") + "</dl>";
}

async function open() {
  $("message").textContent = "";
  try {
    await load();
    $("login").hidden = true; $("board").hidden = false; $("logout").hidden = false;
  } catch (e) {
    $("message").textContent = e.status === 401 || e.status === 403 ? t("bad_key") : t("failed") + e.message;
    sessionStorage.removeItem(KEY);
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("key").value.trim());
  open();
});
$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const who = $("who").value.trim();
  if (who) find(who);
});
$("logout").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
$("locale").addEventListener("click", () => {
  locale = locale === "zh" ? "en" : "zh";
  sessionStorage.setItem("loyalty.locale", locale);
  translate();
  if (data) render();
  renderFound();
});
translate();
if (sessionStorage.getItem(KEY)) open();
