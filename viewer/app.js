// changewatch reviewer viewer: AOIs with verdicts, jobs, evidence sorted discrepancies first, a
// Leaflet map (Web Mercator, tiles from this server only) with a before/after swipe, change and
// score overlays, and review decisions posted to /api/reviews. State lives in the URL hash.
'use strict';

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};
const VERDICT_ORDER = { discrepancy: 0, unverifiable: 1, consistent: 2 };
// AOI outlines on the overview, by the AOI's worst verdict (none: no declaration for it).
const VERDICT_COLOUR = { discrepancy: '#e53935', unverifiable: '#9aa4ae', consistent: '#43a047', none: '#4f8cff' };
const MARKER_COLOUR = { detection: '#00c8ff', change: '#ffcc00', suspect: '#ff8a65', sts: '#ff6d00' };
// Ship detections with an AIS status (issue 20): who they are, or that no AIS vessel explains them.
const AIS_COLOUR = { matched: '#3ddc84', dark: '#d500f9', no_time: '#9e9e9e', no_ais_coverage: '#9e9e9e' };
const TRACK_COLOUR = '#4fc3f7';
let vesselLayer = null;

const state = {
  aois: [], verdicts: [], reviews: {}, jobs: [], features: [],
  aoi: null, job: null, ev: null, swipe: 0.5, planJobs: [], aoiRings: {},
};
let map, layers = {}, evidenceLayer = null, markerById = {}, outlineById = {}, overviewLayer = null;

function setStatus(msg, isError = false) {
  const s = $('#status');
  s.textContent = msg;
  s.style.color = isError ? '#ffb4b4' : '';
}

async function getJson(url) {
  const r = await fetch(url);
  if (r.status === 401) window.cwAuth.expired();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// ---- URL hash ---------------------------------------------------------------------------------
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { aoi: p.get('aoi'), job: p.get('job'), ev: p.get('ev'), z: p.get('z'), c: p.get('c') };
}
function writeHash() {
  const p = new URLSearchParams();
  if (state.aoi) p.set('aoi', state.aoi);
  if (state.job) p.set('job', state.job);
  if (state.ev) p.set('ev', state.ev);
  if (map) {
    const c = map.getCenter();
    p.set('z', String(map.getZoom()));
    p.set('c', `${c.lat.toFixed(6)},${c.lng.toFixed(6)}`);
  }
  history.replaceState(null, '', '#' + p.toString());
}

// ---- Map --------------------------------------------------------------------------------------
function initMap() {
  map = L.map('map', { attributionControl: false, maxZoom: 20, minZoom: 2, zoomSnap: 1 });
  for (const [name, z] of [['before', 210], ['after', 220], ['score', 240], ['mask', 250]]) {
    map.createPane(name).style.zIndex = String(z);
  }
  map.setView([20, 0], 2);
  L.control.scale({ position: 'bottomright', imperial: false }).addTo(map);
  initCursorCoords();
  initLegend();
  map.on('move zoom resize', updateClip);
  map.on('moveend', writeHash);
  initSwipe();
  $('#toggle-mask').addEventListener('change', applyToggles);
  $('#toggle-score').addEventListener('change', applyToggles);
  $('#toggle-evidence').addEventListener('change', applyToggles);
}

// The cursor's WGS84 coordinates, bottom right above the scale bar.
function initCursorCoords() {
  const Coords = L.Control.extend({
    onAdd() { return L.DomUtil.create('div', 'cw-coords'); },
  });
  const c = new Coords({ position: 'bottomright' }).addTo(map);
  const box = c.getContainer();
  box.id = 'cursor-coords';
  box.textContent = 'lat, lon';
  map.on('mousemove', (e) => {
    box.textContent = `${e.latlng.lat.toFixed(5)}, ${e.latlng.lng.toFixed(5)}`;
  });
}

// What the outline and marker colours mean.
function initLegend() {
  const Legend = L.Control.extend({
    onAdd() {
      const d = L.DomUtil.create('div', 'cw-legend');
      d.id = 'legend';
      const row = (colour, text, shape) => `<div><span class="swatch ${shape}" style="background:${colour};border-color:${colour}"></span>${text}</div>`;
      d.innerHTML = '<b>AOI (worst verdict)</b>' +
        row(VERDICT_COLOUR.discrepancy, 'discrepancy', 'box') + row(VERDICT_COLOUR.unverifiable, 'unverifiable', 'box') +
        row(VERDICT_COLOUR.consistent, 'consistent', 'box') + row(VERDICT_COLOUR.none, 'no declaration', 'box') +
        '<b>Evidence</b>' + row(MARKER_COLOUR.detection, 'detection', 'dot') + row(MARKER_COLOUR.change, 'change', 'dot') +
        row(MARKER_COLOUR.suspect, 'change, registration suspect', 'dot') +
        '<b>Ships and AIS</b>' + row(AIS_COLOUR.matched, 'matched to an AIS vessel', 'dot') +
        row(AIS_COLOUR.dark, 'dark: no AIS vessel explains it', 'dot') +
        row(AIS_COLOUR.no_time, 'no time of day / no AIS coverage', 'dot') +
        row(MARKER_COLOUR.sts, 'ship-to-ship transfer candidate', 'dot') +
        row('#ff1744', 'unseen: AIS vessel, no ship seen', 'box') +
        `<div><span class="swatch line" style="border-color:${TRACK_COLOUR}"></span>AIS track</div>` +
        '<div><span class="swatch line"></span>imaged footprint</div>';
      L.DomEvent.disableClickPropagation(d);
      return d;
    },
  });
  new Legend({ position: 'topright' }).addTo(map);
}

function worstVerdict(a) {
  for (const k of ['discrepancy', 'unverifiable', 'consistent']) if (a.verdicts && a.verdicts[k]) return k;
  return 'none';
}

// Every AOI's outline, coloured by its worst verdict and clickable: what the map opens on.
function showOverview(fit) {
  if (overviewLayer) map.removeLayer(overviewLayer);
  overviewLayer = L.featureGroup();
  for (const a of state.aois) {
    const ring = state.aoiRings[a.id];
    if (!ring || ring.length < 3) continue;
    const colour = VERDICT_COLOUR[worstVerdict(a)];
    const poly = L.polygon(ring.map(([lon, lat]) => [lat, lon]), {
      color: colour, weight: a.id === state.aoi ? 3 : 2, fillColor: colour, fillOpacity: a.id === state.aoi ? 0.04 : 0.18,
      className: `cw-aoi cw-aoi-${worstVerdict(a)}`,
    });
    poly.on('add', () => { const e = poly.getElement(); if (e) e.setAttribute('data-aoi', a.id); });
    poly.bindTooltip(`${a.name || a.id}: ${worstVerdict(a)}`, { sticky: true });
    poly.on('click', () => selectAoi(a.id));
    poly.addTo(overviewLayer);
  }
  overviewLayer.addTo(map);
  overviewLayer.bringToBack();
  if (fit && overviewLayer.getLayers().length) map.fitBounds(overviewLayer.getBounds().pad(0.2));
}

function initSwipe() {
  const swipe = $('#swipe');
  let dragging = false;
  const place = (clientX) => {
    const r = $('#main').getBoundingClientRect();
    state.swipe = Math.min(0.98, Math.max(0.02, (clientX - r.left) / r.width));
    swipe.style.left = `${state.swipe * 100}%`;
    updateClip();
  };
  swipe.addEventListener('pointerdown', (e) => {
    dragging = true;
    swipe.setPointerCapture(e.pointerId);
    e.preventDefault();
    e.stopPropagation();
  });
  swipe.addEventListener('pointermove', (e) => { if (dragging) place(e.clientX); });
  swipe.addEventListener('pointerup', (e) => { dragging = false; swipe.releasePointerCapture(e.pointerId); });
  // Keep the map from panning while the divider is dragged.
  L.DomEvent.disableClickPropagation(swipe);
}

// The after layer shows right of the divider: clip its pane in layer coordinates, which move with
// the map (the same approach as leaflet-side-by-side).
function updateClip() {
  if (!map) return;
  const pane = map.getPane('after');
  const size = map.getSize();
  const nw = map.containerPointToLayerPoint([0, 0]);
  const se = map.containerPointToLayerPoint(size);
  const x = nw.x + size.x * state.swipe;
  pane.style.clip = `rect(${nw.y}px, ${se.x}px, ${se.y}px, ${x}px)`;
}

function tileUrl(job, layer) {
  return `/tiles/${job.id}/${layer}/{z}/{x}/{y}.png`;
}

function showJobLayers(job) {
  for (const l of Object.values(layers)) map.removeLayer(l);
  layers = {};
  const b = job.bounds;
  const bounds = b ? L.latLngBounds([b[1], b[0]], [b[3], b[2]]) : null;
  for (const name of ['before', 'after', 'score', 'mask']) {
    layers[name] = L.tileLayer(tileUrl(job, name), {
      pane: name, tileSize: 256, maxZoom: 20, maxNativeZoom: 20, bounds: bounds ? bounds.pad(0.05) : undefined,
      className: `tiles-${name}`, keepBuffer: 1,
    });
  }
  layers.before.addTo(map);
  layers.after.addTo(map);
  applyToggles();
  $('#label-before').textContent = `before ${job.before}`;
  $('#label-after').textContent = `after ${job.after}`;
  updateClip();
}

function applyToggles() {
  if (!layers.mask) return;
  for (const [name, box] of [['mask', '#toggle-mask'], ['score', '#toggle-score']]) {
    if ($(box).checked) layers[name].addTo(map); else map.removeLayer(layers[name]);
  }
  if (evidenceLayer) {
    if ($('#toggle-evidence').checked) evidenceLayer.addTo(map); else map.removeLayer(evidenceLayer);
  }
}

function featureCenter(f) {
  const bb = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      bb[0] = Math.min(bb[0], c[0]); bb[1] = Math.min(bb[1], c[1]);
      bb[2] = Math.max(bb[2], c[0]); bb[3] = Math.max(bb[3], c[1]);
    } else c.forEach(walk);
  };
  walk(f.geometry.coordinates);
  return { center: L.latLng((bb[1] + bb[3]) / 2, (bb[0] + bb[2]) / 2), bounds: L.latLngBounds([bb[1], bb[0]], [bb[3], bb[2]]) };
}

function showEvidenceOnMap(fc) {
  if (evidenceLayer) map.removeLayer(evidenceLayer);
  evidenceLayer = L.featureGroup();
  markerById = {}; outlineById = {};
  for (const f of fc.features) {
    const type = f.properties.feature_type;
    if (!f.geometry) continue;
    if (type === 'footprint') {
      L.geoJSON(f, { interactive: false, style: { color: '#9ab', weight: 1, dashArray: '4 4', fill: false } }).addTo(evidenceLayer);
      continue;
    }
    const ais = type === 'detection' ? f.properties.ais_status : undefined;
    const colour = type === 'detection' ? (AIS_COLOUR[ais] || MARKER_COLOUR.detection)
      : type === 'sts' ? MARKER_COLOUR.sts
        : f.properties.registration_suspect ? MARKER_COLOUR.suspect : MARKER_COLOUR.change;
    if (f.geometry.type !== 'Point') {
      const outline = L.geoJSON(f, { style: { color: colour, weight: 1.5, fill: false } });
      outline.on('click', () => selectEvidence(f.id, true));
      outline.addTo(evidenceLayer);
      outlineById[f.id] = outline;
    }
    const m = L.circleMarker(featureCenter(f).center, {
      radius: 6, color: '#111', weight: 1, fillColor: colour, fillOpacity: 0.9,
      className: `cw-marker cw-marker-${type}${ais ? ` cw-ais-${ais}` : ''}`,
    });
    m.on('click', () => selectEvidence(f.id, true));
    m.bindTooltip(f.id);
    m.addTo(evidenceLayer);
    markerById[f.id] = m;
  }
  applyToggles();
}

// The job's AIS tracks and the positions of unseen vessels (vessels.geojson), when the run had AIS.
async function showVessels(jobId) {
  if (vesselLayer) map.removeLayer(vesselLayer);
  vesselLayer = null;
  const r = await fetch(`/files/${jobId}/vessels.geojson`);
  if (!r.ok) return;
  const fc = await r.json();
  vesselLayer = L.featureGroup();
  for (const f of fc.features) {
    const p = f.properties;
    if (p.feature_type === 'track') {
      L.geoJSON(f, { style: { color: TRACK_COLOUR, weight: 1.5, opacity: 0.8, className: 'cw-track' } })
        .bindTooltip(`AIS track ${p.vessel_name || ''} MMSI ${p.mmsi}`).addTo(vesselLayer);
    } else if (p.feature_type === 'vessel_position' && p.status === 'unseen') {
      const [lon, lat] = f.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 7, color: '#ff1744', weight: 2, fill: false, className: 'cw-unseen' })
        .bindTooltip(`unseen: MMSI ${p.mmsi} (${p.likely || '?'}) at ${p.scene_time}`).addTo(vesselLayer);
    }
  }
  vesselLayer.addTo(map);
}

// ---- Lists ------------------------------------------------------------------------------------
function aoiVerdicts(aoi) {
  return state.verdicts.filter((v) => v.aoi === aoi)
    .sort((a, b) => (VERDICT_ORDER[a.verdict] ?? 3) - (VERDICT_ORDER[b.verdict] ?? 3));
}
function citedBy(id) {
  return state.verdicts.filter((v) => v.aoi === state.aoi && (v.evidence_ids || []).includes(id));
}
function score(f) {
  const p = f.properties;
  return p.score ?? p.mean_score ?? p.area_m2 ?? 0;
}

function renderAois() {
  const ul = $('#aois');
  ul.replaceChildren();
  for (const a of state.aois) {
    const li = el('li', { class: 'aoi-item', 'data-aoi': a.id }, el('b', {}, a.name || a.id), ` ${a.kind || ''} · ${a.jobs} pairs`);
    for (const k of ['discrepancy', 'unverifiable', 'consistent']) {
      if (a.verdicts && a.verdicts[k]) li.append(el('span', { class: `badge ${k}`, title: k }, `${a.verdicts[k]} ${k}`));
    }
    if (a.id === state.aoi) li.classList.add('selected');
    li.addEventListener('click', () => selectAoi(a.id));
    ul.append(li);
  }
}

function renderVerdicts() {
  const rows = aoiVerdicts(state.aoi);
  $('#verdict-section').hidden = false;
  const ul = $('#verdicts');
  ul.replaceChildren();
  if (!rows.length) ul.append(el('li', { class: 'verdict-row none' }, 'No verdicts (no corroboration.json, or no declarations for this AOI).'));
  for (const v of rows) {
    ul.append(el('li', { class: `verdict-row ${v.verdict}` },
      el('b', {}, v.metric), ` ${v.start || ''}..${v.end || ''} `, el('span', { class: `badge ${v.verdict}` }, v.verdict),
      el('div', {}, `declared: ${v.declared} · observed: ${v.observed}`),
      el('div', { class: 'why' }, v.reason || '')));
  }
}

function renderJobs() {
  $('#job-section').hidden = false;
  const ul = $('#jobs');
  ul.replaceChildren();
  for (const j of state.jobs) {
    const li = el('li', { class: 'job-item', 'data-job': j.id }, el('b', {}, `${j.before} → ${j.after}`),
      el('div', { class: 'meta' }, `${j.changes} changes · ${j.detections} detections${j.complete ? '' : ' · incomplete'}`));
    if (j.id === state.job) li.classList.add('selected');
    li.addEventListener('click', () => selectJob(j.id));
    ul.append(li);
  }
}

// Evidence cited by a discrepancy first, then by score, highest first; evidence made where
// co-registration was rejected (registration_suspect) after all clean evidence.
function sortedEvidence(fc) {
  const rank = (f) => {
    const v = citedBy(f.id).map((r) => VERDICT_ORDER[r.verdict] ?? 3);
    return (v.length ? Math.min(...v) : 3) + (f.properties.registration_suspect ? 10 : 0);
  };
  return fc.features.filter((f) => f.properties.feature_type !== 'footprint')
    .sort((a, b) => rank(a) - rank(b) || score(b) - score(a) || (a.id < b.id ? -1 : 1));
}

function renderEvidence() {
  $('#evidence-section').hidden = false;
  const ul = $('#evidence');
  ul.replaceChildren();
  if (!state.features.length) ul.append(el('li', { class: 'none' }, 'No change or detection in this pair.'));
  for (const f of state.features) {
    const p = f.properties;
    const cites = citedBy(f.id);
    const li = el('li', { class: 'ev-item', 'data-id': f.id },
      el('b', {}, p.feature_type === 'detection' ? `${p.kind || p.detector || 'object'}`
        : p.feature_type === 'sts' ? `ship-to-ship (${p.sts_source})` : 'change'),
      p.feature_type === 'sts' ? ` ${Math.round(p.distance_m)} m apart` : ` score ${Number(score(f)).toPrecision(4)}`,
      el('div', { class: 'meta' }, p.feature_type === 'sts' ? f.id : `${f.id} · ${Math.round(p.area_m2 || 0)} m²`));
    if (p.registration_suspect) li.append(el('span', { class: 'badge suspect', title: 'co-registration was rejected for this pair: may be a misregistration artefact' }, 'registration suspect'));
    for (const c of cites) li.append(el('span', { class: `badge ${c.verdict}` }, `${c.metric}: ${c.verdict}`));
    const r = state.reviews[f.id];
    if (r) li.append(el('span', { class: `badge review ${r.decision}` }, r.decision));
    if (cites.some((c) => c.verdict === 'discrepancy')) li.classList.add('cited');
    if (f.id === state.ev) li.classList.add('selected');
    li.addEventListener('click', () => selectEvidence(f.id, true));
    ul.append(li);
  }
}

// ---- Detail panel -----------------------------------------------------------------------------
// A ship-to-ship candidate's two parties: hull evidence ids and/or MMSIs, dark ones said so.
function stsText(p) {
  const party = (hull, mmsi, dark) => `${hull ? `hull ${hull} ` : ''}${mmsi ? `MMSI ${mmsi}` : 'no AIS'}${dark ? ' (dark)' : ''}`;
  const when = p.sts_source === 'ais' ? ` · ${p.start} to ${p.end}` : '';
  const shore = p.shore_checked ? `${Math.round(p.shore_distance_m)} m from land` : 'shore distance not checked';
  return `Ship-to-ship (${p.sts_source})${when}: ${party(p.first_id, p.mmsi, p.first_dark)} and ${party(p.second_id, p.mmsi2, p.second_dark)} · ${Math.round(p.distance_m)} m apart · ${shore}`;
}

function renderDetail() {
  const f = state.features.find((x) => x.id === state.ev);
  const panel = $('#detail');
  if (!f) { panel.hidden = true; return; }
  panel.hidden = false;
  const p = f.properties;
  $('#detail-title').textContent = f.id;
  const r = state.reviews[f.id];
  $('#review-state').replaceChildren(r
    ? el('span', {}, 'Decision: ', el('span', { class: `badge ${r.decision}` }, r.decision), ` by ${r.reviewer || '?'} at ${r.time}`)
    : el('span', {}, 'Not reviewed yet.'));
  const chips = $('#chips');
  chips.replaceChildren();
  const jobDir = state.job;
  for (const [k, label] of [['chip_before', 'before'], ['chip_after', 'after'], ['chip_mask', 'mask']]) {
    if (p[k]) chips.append(el('figure', {}, el('img', { src: `/files/${jobDir}/${p[k]}`, alt: `${label} chip` }), el('figcaption', {}, label)));
  }
  const dv = $('#detail-verdicts');
  dv.replaceChildren();
  const cites = citedBy(f.id);
  const rows = cites.length ? cites : aoiVerdicts(state.aoi);
  if (!rows.length) dv.append(el('div', {}, 'No verdicts for this AOI.'));
  if (!cites.length && rows.length) dv.append(el('div', { class: 'why' }, 'Not cited by a verdict; the AOI\'s declarations:'));
  for (const v of rows) {
    dv.append(el('div', { class: `verdict-row ${v.verdict}` }, el('b', {}, v.metric), ' ',
      el('span', { class: `badge ${v.verdict}` }, v.verdict),
      el('div', {}, `declared ${v.declared} — observed ${v.observed}`)));
  }
  if (p.ais_status) {
    const ais = p.ais_status === 'matched'
      ? `AIS: ${p.vessel_name || 'unnamed'} · MMSI ${p.mmsi}${p.imo ? ` · IMO ${p.imo}` : ''} · Δt ${Math.round(p.ais_dt_s)} s · ${Math.round(p.ais_distance_m)} m`
      : `AIS: ${p.ais_status.replace(/_/g, ' ')}`;
    dv.append(el('div', { class: `ais-identity ${p.ais_status}` }, ais));
  }
  if (p.feature_type === 'sts') dv.append(el('div', { class: 'sts-parties' }, stsText(p)));
  const t = $('#props');
  t.replaceChildren();
  for (const [k, v] of Object.entries(p)) {
    if (k.startsWith('chip_')) continue;
    t.append(el('tr', {}, el('td', {}, k), el('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))));
  }
}

// ---- Selection --------------------------------------------------------------------------------
async function selectAoi(id, opts = {}) {
  state.aoi = id;
  state.jobs = await getJson(`/api/jobs?aoi=${encodeURIComponent(id)}`);
  renderAois();
  renderVerdicts();
  showOverview(false);
  // Default pair: the one holding the most evidence cited by a discrepancy, else the first.
  let job = resolveJob(opts.job);
  if (!job && state.jobs.length) {
    const cited = new Set(aoiVerdicts(id).filter((v) => v.verdict === 'discrepancy').flatMap((v) => v.evidence_ids || []));
    job = state.jobs[0].id;
    if (cited.size) {
      for (const j of state.jobs) {
        const fc = await getJson(`/api/evidence?job=${encodeURIComponent(j.id)}`).catch(() => null);
        if (fc && fc.features.some((f) => cited.has(f.id))) { job = j.id; break; }
      }
    }
  }
  await selectJob(job, opts);
}

// A job named in the hash: its id, or its index in the plan (as `status` and `run --job` number
// them).
function resolveJob(key) {
  if (!key) return null;
  if (state.jobs.some((j) => j.id === key)) return key;
  if (/^\d+$/.test(key)) {
    const pj = state.planJobs.find((j) => j.index === Number(key));
    if (pj && state.jobs.some((j) => j.id === pj.id)) return pj.id;
  }
  return null;
}

// The next (+1) or previous (-1) pair of the AOI.
function movePair(step) {
  if (!state.jobs.length) return;
  let i = state.jobs.findIndex((j) => j.id === state.job);
  i = i < 0 ? 0 : Math.min(state.jobs.length - 1, Math.max(0, i + step));
  if (state.jobs[i].id !== state.job) selectJob(state.jobs[i].id);
}

async function selectJob(id, opts = {}) {
  state.job = id;
  const job = state.jobs.find((j) => j.id === id);
  renderJobs();
  if (!job) return;
  let fc = { type: 'FeatureCollection', features: [] };
  try { fc = await getJson(`/api/evidence?job=${encodeURIComponent(id)}`); } catch (e) { setStatus(e.message, true); }
  state.features = sortedEvidence(fc);
  showJobLayers(job);
  showEvidenceOnMap(fc);
  // vessels.geojson exists for pairs whose detections went through AIS matching.
  if (fc.features.some((f) => f.properties.ais_status)) showVessels(id).catch(() => {});
  else if (vesselLayer) { map.removeLayer(vesselLayer); vesselLayer = null; }
  if (opts.z && opts.c) {
    const [lat, lon] = opts.c.split(',').map(Number);
    map.setView([lat, lon], Number(opts.z));
  } else if (job.bounds) {
    const b = job.bounds;
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  }
  state.ev = opts.ev && state.features.some((f) => f.id === opts.ev) ? opts.ev : null;
  renderEvidence();
  renderDetail();
  writeHash();
  setStatus(`${state.features.length} evidence items in ${id}`);
}

function selectEvidence(id, zoom) {
  state.ev = id;
  const f = state.features.find((x) => x.id === id);
  if (f && zoom) {
    const { bounds } = featureCenter(f);
    map.fitBounds(bounds.pad(1.5), { maxZoom: 18 });
  }
  for (const [fid, o] of Object.entries(outlineById)) o.setStyle({ weight: fid === id ? 3.5 : 1.5 });
  renderEvidence();
  renderDetail();
  const li = document.querySelector(`.ev-item[data-id="${CSS.escape(id)}"]`);
  if (li) li.scrollIntoView({ block: 'nearest' });
  writeHash();
}

function moveEvidence(step) {
  if (!state.features.length) return;
  let i = state.features.findIndex((f) => f.id === state.ev);
  i = i < 0 ? (step > 0 ? 0 : state.features.length - 1) : Math.min(state.features.length - 1, Math.max(0, i + step));
  selectEvidence(state.features[i].id, true);
}

async function review(decision) {
  if (!window.cwAuth.canDecide()) return;
  if (!state.ev) { setStatus('Select an evidence item first (j/k).', true); return; }
  const body = { evidence_id: state.ev, decision, comment: $('#comment').value };
  if ($('#reviewer')) {  // absent when signed in: the server records who signed in
    body.reviewer = $('#reviewer').value.trim() || 'reviewer';
    localStorage.setItem('cw-reviewer', body.reviewer);
  }
  const r = await fetch('/api/reviews', { method: 'POST', headers: { 'Content-Type': 'application/json', ...window.cwAuth.headers() }, body: JSON.stringify(body) });
  if (r.status === 401) window.cwAuth.expired();
  const j = await r.json().catch(() => ({}));
  if (!r.ok) { setStatus(`Review not saved: ${j.error || r.status}`, true); return; }
  state.reviews[j.evidence_id] = j;
  $('#comment').value = '';
  setStatus(`${j.evidence_id}: ${decision}${j.four_eyes ? ` (${j.four_eyes})` : ''}`);
  renderEvidence();
  renderDetail();
}

// ---- Start ------------------------------------------------------------------------------------
async function start() {
  // Read before the map exists: its first moves rewrite the hash.
  const h = readHash();
  await window.cwAuth.ready;
  initMap();
  if ($('#reviewer')) $('#reviewer').value = localStorage.getItem('cw-reviewer') || '';
  $('#detail-close').addEventListener('click', () => { state.ev = null; renderEvidence(); renderDetail(); writeHash(); });
  for (const b of document.querySelectorAll('#detail .buttons button')) {
    b.addEventListener('click', () => review(b.dataset.decision));
  }
  document.addEventListener('keydown', (e) => {
    if (e.target.matches('input, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
    const actions = {
      j: () => moveEvidence(1), k: () => moveEvidence(-1), n: () => movePair(1), p: () => movePair(-1),
      c: () => review('confirmed'), r: () => review('rejected'), u: () => review('unsure'),
    };
    if (actions[e.key]) { e.preventDefault(); actions[e.key](); }
  });
  try {
    const [aois, verdicts, reviews, plan] = await Promise.all([getJson('/api/aois'), getJson('/api/verdicts'),
      getJson('/api/reviews'), getJson('/files/plan.json').catch(() => ({}))]);
    state.aois = aois;
    state.planJobs = plan.jobs || [];
    for (const a of plan.aois || []) if (a.outline) state.aoiRings[a.id] = a.outline;
    state.verdicts = verdicts.verdicts || [];
    state.reviews = reviews.reviews || {};
    // AOIs with discrepancies first.
    state.aois.sort((a, b) => (b.verdicts?.discrepancy || 0) - (a.verdicts?.discrepancy || 0) || (a.id < b.id ? -1 : 1));
    renderAois();
    showOverview(!h.aoi);
    setStatus(verdicts.available ? `${state.aois.length} AOIs` : `${state.aois.length} AOIs (no corroboration.json: no verdicts)`);
    if (h.aoi && state.aois.some((a) => a.id === h.aoi)) await selectAoi(h.aoi, h);
    document.body.dataset.ready = 'true';
  } catch (e) {
    setStatus(e.message, true);
  }
}

start();
