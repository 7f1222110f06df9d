// axistag reviewers' page: calls the service's own API (/axes, /classify, /classify_file) from the browser.
// Plain script, no dependencies. The API key, when the service asks for one, is kept in sessionStorage:
// this tab only, forgotten when it closes.
(() => {
  "use strict";

  const KEY_STORAGE = "axistag.apiKey";
  const LANGUAGE_STORAGE = "axistag.language";
  const LANGUAGES = ["en", "fr"];
  const TEXT_FILE = /\.(txt|md|markdown)$/i;
  const RETRY_MS = 3000;

  const MESSAGES = {
    en: {
      tagline: "Tags AI project proposals with the eight IPCEI-AI priority axes.",
      apiDocs: "API documentation",
      keyForget: "Forget the key",
      keyLabel: "API key",
      keyHint: "This service needs a key. It is kept in this tab only and forgotten when the tab closes.",
      keyUse: "Use this key",
      keyMissing: "Enter the key.",
      keyRefused: "This key was refused ({detail}). Check it and try again.",
      tabText: "One proposal",
      tabFile: "A file of proposals",
      textLabel: "Proposal summary",
      textHint: "Paste the text in any language, or drop a .txt or .md file on the field.",
      textOpen: "Open a .txt or .md file…",
      textCount: "{count} / {limit} characters",
      textEmpty: "The text is empty: paste a proposal first.",
      textTooLong: "The text is too long: at most {limit} characters.",
      textWrongFile: "{name} is not a .txt or .md file.",
      textUnreadable: "{name} could not be read as text.",
      classify: "Classify",
      classifying: "Classifying…",
      summaryTitle: "Result",
      selectedAxes: "Selected axes",
      noAxis: "None: the text matches no axis.",
      language: "Detected language",
      languageUnknown: "not recognised",
      review: "Review",
      reviewNeeded: "A person should check this result:",
      reviewClear:
        "No review needed: every score is clear of its threshold, the text is long enough and its language is known.",
      reasonNear: "score close to the threshold for {axes}",
      reasonShort: "text too short to judge (fewer than {count} words)",
      reasonLanguageUnknown: "language not recognised",
      reasonLanguageUncovered: "{language} is not among the languages the model was trained on",
      scoresTitle: "Score on each axis",
      scoresHint: "An axis is selected when its score reaches its threshold (the dark mark on the bar).",
      selected: "selected",
      threshold: "threshold {value}",
      meter: "{axis}: score {score}, threshold {threshold}, {state}",
      notSelected: "not selected",
      axesHelp: "What do the axes mean?",
      evidenceTitle: "Evidence in the text",
      evidenceHint: "The sentences that weigh most for each selected axis are highlighted in that axis's colour.",
      evidenceNone: "No axis is selected, so no sentence is highlighted.",
      evidenceFor: "Evidence for {axes}",
      sentences: "{count} sentence(s)",
      fileLabel: "CSV or JSONL file",
      fileHint:
        "One proposal per row, at most {size}. The file comes back with the columns that axistag relabel adds.",
      fileChoose: "Choose a file",
      fileDrop: "or drop it here",
      fileMissing: "Choose a CSV or JSONL file first.",
      fileWrongType: "{name} is not a .csv, .jsonl or .ndjson file.",
      fileTooLarge: "{name} is larger than {size}, the most the service accepts.",
      fileEmpty: "{name} is empty.",
      fileNotText: "{name} is not a text file: save it as CSV or JSONL in UTF-8.",
      fileNoRows: "{name} has no rows to score.",
      fileTooManyCharacters: "The texts of {name} hold {characters} characters, more than {limit}: split the file.",
      columnLabel: "Column holding the texts",
      columnMissing: "Name the column that holds the texts.",
      columnNotFound: "{name} has no column {column}. Its columns: {columns}.",
      scoreFile: "Score the file",
      scoringFile: "Scoring the file…",
      fileResultTitle: "Scored file",
      fileSummary: "{rows} rows: {scored} scored, {errors} with an error (see the error column), {review} to review.",
      fileColumns:
        "Each row keeps its columns and gains pred_labels, one score_… column per axis, needs_review, " +
        "review_reasons, language, model_version and error.",
      download: "Download {name}",
      loading: "The model is still loading; the page will try again in a moment.",
      unavailable: "The service cannot score right now ({detail}).",
      networkError: "The service cannot be reached. Check the connection and try again.",
      timeout: "The service took too long to answer. Try a shorter text or a smaller file.",
      model: "Model {name} {version}",
      kilobytes: "{value} kB",
      megabytes: "{value} MB",
      correctionTitle: "Correct the axes",
      correctionHint:
        "Tick the axes this proposal belongs to, then save: the correction is kept with the model's answer " +
        "and helps train the next model.",
      correctionAxes: "Axes of this proposal",
      modelSaid: "(model)",
      commentLabel: "Comment (optional)",
      commentTooLong: "The comment is too long: at most {limit} characters.",
      saveCorrection: "Save the correction",
      savingCorrection: "Saving…",
      correctionSaved: "Correction no. {id} saved: {labels}.",
      correctionChanges: "Added: {added}. Removed: {removed}.",
      correctionConfirmed: "Same axes as the model: its answer is confirmed.",
      correctionComment: "Comment: {comment}",
      nothing: "none",
      modelChanged: "The service now serves another model: classify the text again before correcting it.",
    },
    fr: {
      tagline: "Classe les projets d'IA selon les huit axes prioritaires du PIIEC IA.",
      apiDocs: "Documentation de l'API",
      keyForget: "Oublier la clé",
      keyLabel: "Clé d'API",
      keyHint:
        "Ce service demande une clé. Elle est gardée dans cet onglet seulement et oubliée à sa fermeture.",
      keyUse: "Utiliser cette clé",
      keyMissing: "Saisissez la clé.",
      keyRefused: "Cette clé a été refusée ({detail}). Vérifiez-la et réessayez.",
      tabText: "Un projet",
      tabFile: "Un fichier de projets",
      textLabel: "Résumé du projet",
      textHint: "Collez le texte, dans n'importe quelle langue, ou déposez un fichier .txt ou .md sur le champ.",
      textOpen: "Ouvrir un fichier .txt ou .md…",
      textCount: "{count} / {limit} caractères",
      textEmpty: "Le texte est vide : collez d'abord un projet.",
      textTooLong: "Le texte est trop long : {limit} caractères au plus.",
      textWrongFile: "{name} n'est pas un fichier .txt ou .md.",
      textUnreadable: "{name} n'a pas pu être lu comme du texte.",
      classify: "Classer",
      classifying: "Classement…",
      summaryTitle: "Résultat",
      selectedAxes: "Axes retenus",
      noAxis: "Aucun : le texte ne relève d'aucun axe.",
      language: "Langue détectée",
      languageUnknown: "non reconnue",
      review: "Relecture",
      reviewNeeded: "Une personne devrait vérifier ce résultat :",
      reviewClear:
        "Pas de relecture nécessaire : chaque score est loin de son seuil, le texte est assez long et sa langue est connue.",
      reasonNear: "score proche du seuil pour {axes}",
      reasonShort: "texte trop court pour juger (moins de {count} mots)",
      reasonLanguageUnknown: "langue non reconnue",
      reasonLanguageUncovered: "le modèle n'a pas été entraîné sur cette langue ({language})",
      scoresTitle: "Score sur chaque axe",
      scoresHint: "Un axe est retenu quand son score atteint son seuil (le trait foncé sur la barre).",
      selected: "retenu",
      threshold: "seuil {value}",
      meter: "{axis} : score {score}, seuil {threshold}, {state}",
      notSelected: "non retenu",
      axesHelp: "Que recouvrent les axes ?",
      evidenceTitle: "Passages du texte",
      evidenceHint: "Les phrases qui pèsent le plus pour chaque axe retenu sont surlignées dans la couleur de l'axe.",
      evidenceNone: "Aucun axe n'est retenu : aucune phrase n'est surlignée.",
      evidenceFor: "Passage pour {axes}",
      sentences: "{count} phrase(s)",
      fileLabel: "Fichier CSV ou JSONL",
      fileHint:
        "Un projet par ligne, {size} au plus. Le fichier revient avec les colonnes qu'ajoute axistag relabel.",
      fileChoose: "Choisir un fichier",
      fileDrop: "ou le déposer ici",
      fileMissing: "Choisissez d'abord un fichier CSV ou JSONL.",
      fileWrongType: "{name} n'est pas un fichier .csv, .jsonl ou .ndjson.",
      fileTooLarge: "{name} dépasse {size}, le maximum accepté par le service.",
      fileEmpty: "{name} est vide.",
      fileNotText: "{name} n'est pas un fichier texte : enregistrez-le en CSV ou JSONL, encodé en UTF-8.",
      fileNoRows: "{name} ne contient aucune ligne à classer.",
      fileTooManyCharacters:
        "Les textes de {name} totalisent {characters} caractères, plus que {limit} : découpez le fichier.",
      columnLabel: "Colonne contenant les textes",
      columnMissing: "Indiquez la colonne qui contient les textes.",
      columnNotFound: "{name} n'a pas de colonne {column}. Ses colonnes : {columns}.",
      scoreFile: "Classer le fichier",
      scoringFile: "Classement du fichier…",
      fileResultTitle: "Fichier classé",
      fileSummary:
        "{rows} lignes : {scored} classées, {errors} en erreur (voir la colonne error), {review} à relire.",
      fileColumns:
        "Chaque ligne garde ses colonnes et reçoit pred_labels, une colonne score_… par axe, needs_review, " +
        "review_reasons, language, model_version et error.",
      download: "Télécharger {name}",
      loading: "Le modèle est encore en chargement ; la page réessaiera dans un instant.",
      unavailable: "Le service ne peut pas classer pour l'instant ({detail}).",
      networkError: "Le service est injoignable. Vérifiez la connexion et réessayez.",
      timeout: "Le service a mis trop de temps à répondre. Essayez un texte plus court ou un fichier plus petit.",
      model: "Modèle {name} {version}",
      correctionTitle: "Corriger les axes",
      correctionHint:
        "Cochez les axes dont relève ce projet, puis enregistrez : la correction est gardée avec la réponse " +
        "du modèle et sert à entraîner le prochain modèle.",
      correctionAxes: "Axes de ce projet",
      modelSaid: "(modèle)",
      commentLabel: "Commentaire (facultatif)",
      commentTooLong: "Le commentaire est trop long : {limit} caractères au plus.",
      saveCorrection: "Enregistrer la correction",
      savingCorrection: "Enregistrement…",
      correctionSaved: "Correction n° {id} enregistrée : {labels}.",
      correctionChanges: "Ajoutés : {added}. Retirés : {removed}.",
      correctionConfirmed: "Mêmes axes que le modèle : sa réponse est confirmée.",
      correctionComment: "Commentaire : {comment}",
      nothing: "aucun",
      modelChanged: "Le service sert désormais un autre modèle : classez de nouveau le texte avant de le corriger.",
      kilobytes: "{value} ko",
      megabytes: "{value} Mo",
    },
  };

  // Axis names and descriptions in each language; an axis the page does not know keeps its id and the
  // service's own description.
  const AXES = {
    foundation_models: {
      en: "Foundation models",
      fr: "Modèles de fondation",
      frDescription:
        "Modèles de fondation ouverts et compétitifs : pré-entraînement de modèles de toute modalité, nouvelles " +
        "méthodes d'entraînement, post-entraînement (pré-entraînement continu, SFT, RLHF/DPO, distillation), " +
        "y compris l'adaptation à un secteur.",
    },
    cloud: {
      en: "Cloud for AI",
      fr: "Cloud pour l'IA",
      frDescription:
        "Infrastructure et gestion des ressources pour entraîner et servir des modèles (grappes de GPU, " +
        "ordonnanceurs, calcul mutualisé ou fédéré, entraînement distribué, inférence élastique, continuum " +
        "edge-cloud, stockage et chargement de données à grande échelle, cloud souverain pour l'IA).",
    },
    energy_efficiency: {
      en: "Energy efficiency of AI",
      fr: "Efficacité énergétique de l'IA",
      frDescription:
        "Technologies qui réduisent l'énergie de l'entraînement et de l'inférence (accélérateurs sobres, " +
        "quantification, élagage, inférence embarquée sous contrainte de puissance, ordonnancement sobre, " +
        "centres de données verts pour l'IA, mesure de l'énergie de l'IA).",
    },
    data: {
      en: "High-quality data",
      fr: "Données de qualité",
      frDescription:
        "Accès sécurisé à des données de qualité : constituer, annoter, structurer ou gouverner des jeux de " +
        "données comme livrable ; espaces et plateformes de données ; accès sécurisé, conforme ou fédéré.",
    },
    aiaas: {
      en: "AI as a Service",
      fr: "IA en tant que service",
      frDescription:
        "Outils, API, points d'inférence, catalogues et places de marché de modèles offerts à d'autres " +
        "organisations ou développeurs, dans l'industrie et le secteur public.",
    },
    open_source: {
      en: "Open source and community",
      fr: "Open source et communauté",
      frDescription:
        "Publier code, modèles ou données sous licence permettant la réutilisation (y compris commerciale) " +
        "comme livrable ; animer une communauté, gouvernance ouverte.",
    },
    adoption: {
      en: "Adoption in use cases",
      fr: "Adoption dans des cas d'usage",
      frDescription:
        "L'IA intégrée aux opérations réelles d'utilisateurs identifiés d'un secteur économique ou d'une " +
        "administration, expérimentée ou déployée avec un processus et des indicateurs.",
    },
    telecom: {
      en: "Telecom networks",
      fr: "Réseaux de télécommunication",
      frDescription:
        "L'IA pour concevoir, exploiter, optimiser, maintenir, sécuriser ou rendre sobres les réseaux télécoms ; " +
        "cas d'usage d'IA livrés par l'infrastructure des opérateurs (edge/MEC, API réseau).",
    },
  };

  const $ = (id) => document.getElementById(id);
  const limits = {
    textChars: Number(document.body.dataset.maxTextChars),
    uploadBytes: Number(document.body.dataset.maxUploadBytes),
    commentChars: Number(document.body.dataset.maxCommentChars),
  };
  const state = {
    language: initialLanguage(),
    schema: null, // GET /axes: model and axes with descriptions
    result: null, // the last /classify answer and the text it was asked about
    correction: null, // the reviewer's axes for that result, and the last /feedback answer
    fileResult: null, // the last /classify_file answer: counts, file name, download address
    tableFile: null, // the file chosen in the second tab
    keyWaiters: [],
  };

  // ------------------------------------------------------------------ language

  function initialLanguage() {
    const chosen = localStorage.getItem(LANGUAGE_STORAGE);
    if (LANGUAGES.includes(chosen)) return chosen;
    const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
    return preferred.toLowerCase().startsWith("fr") ? "fr" : "en";
  }

  function t(key, values = {}) {
    const template = MESSAGES[state.language][key] ?? MESSAGES.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function axisName(axis) {
    return AXES[axis] ? AXES[axis][state.language] : axis;
  }

  function axisDescription(axis, serviceDescription) {
    if (state.language === "fr" && AXES[axis]) return AXES[axis].frDescription;
    return serviceDescription || "";
  }

  function languageName(code) {
    try {
      const name = new Intl.DisplayNames([state.language], { type: "language" }).of(code);
      return name && name !== code ? `${name} (${code})` : code;
    } catch {
      return code;
    }
  }

  function percent(value) {
    return new Intl.NumberFormat(state.language, { style: "percent", maximumFractionDigits: 0 }).format(value);
  }

  function number(value) {
    return new Intl.NumberFormat(state.language).format(value);
  }

  function fileSize(bytes) {
    const megabytes = bytes / (1024 * 1024);
    if (megabytes >= 1) {
      return t("megabytes", { value: new Intl.NumberFormat(state.language, { maximumFractionDigits: 1 }).format(megabytes) });
    }
    return t("kilobytes", { value: number(Math.ceil(bytes / 1024)) });
  }

  function setLanguage(language) {
    state.language = language;
    localStorage.setItem(LANGUAGE_STORAGE, language);
    applyLanguage();
  }

  function applyLanguage() {
    document.documentElement.lang = state.language;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === state.language));
    }
    $("table-file-hint").textContent = t("fileHint", { size: fileSize(limits.uploadBytes) });
    renderTableChoice();
    updateCount();
    renderModel();
    renderAxisDescriptions();
    if (state.result) renderResult();
    if (state.fileResult) renderFileResult();
    for (const [id, wording] of errorWordings) $(`${id}-error`).textContent = wording();
  }

  // ------------------------------------------------------------------ errors next to their field

  // Messages the page words itself are functions, worded again on a language switch; the service's own
  // messages (strings) stay as they came.
  const errorWordings = new Map();

  function showFieldError(id, message) {
    const element = $(`${id}-error`);
    if (typeof message === "function") errorWordings.set(id, message);
    else errorWordings.delete(id);
    element.textContent = typeof message === "function" ? message() : message;
    element.hidden = false;
    const field = $(id);
    if (field) field.setAttribute("aria-invalid", "true");
  }

  function clearFieldError(id) {
    errorWordings.delete(id);
    const element = $(`${id}-error`);
    element.hidden = true;
    element.textContent = "";
    const field = $(id);
    if (field) field.removeAttribute("aria-invalid");
  }

  function setStatus(id, message, problem = false) {
    const element = $(id);
    element.textContent = message;
    element.classList.toggle("problem", problem);
  }

  async function errorBody(response) {
    try {
      const body = await response.json();
      return { message: body.error || response.statusText, errors: Array.isArray(body.errors) ? body.errors : [] };
    } catch {
      return { message: `${response.status} ${response.statusText}`, errors: [] };
    }
  }

  // The status message for failures that belong to no field: the service is loading, overloaded or slow.
  function serviceProblem(status, message) {
    if (status === 503) return t("unavailable", { detail: message });
    if (status === 504) return t("timeout");
    return message;
  }

  // ------------------------------------------------------------------ API calls and the key

  class Unreachable extends Error {}

  function storedKey() {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  // A fetch that adds the key; on 401 it asks for a key and tries again once the user has given one.
  async function callApi(path, init = {}) {
    for (;;) {
      const headers = new Headers(init.headers || {});
      const key = storedKey();
      if (key) headers.set("Authorization", `Bearer ${key}`);
      let response;
      try {
        response = await fetch(path, { ...init, headers });
      } catch {
        throw new Unreachable(t("networkError"));
      }
      if (response.status !== 401) return response;
      const { message } = await errorBody(response);
      await askForKey(key ? message : null);
    }
  }

  function askForKey(refusal) {
    sessionStorage.removeItem(KEY_STORAGE);
    $("forget-key").hidden = true;
    $("key-panel").hidden = false;
    if (refusal) showFieldError("api-key", () => t("keyRefused", { detail: refusal }));
    $("api-key").focus();
    return new Promise((resolve) => state.keyWaiters.push(resolve));
  }

  function useKey(event) {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) {
      showFieldError("api-key", () => t("keyMissing"));
      return;
    }
    clearFieldError("api-key");
    sessionStorage.setItem(KEY_STORAGE, key);
    $("api-key").value = "";
    $("key-panel").hidden = true;
    $("forget-key").hidden = false;
    const waiters = state.keyWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  function forgetKey() {
    sessionStorage.removeItem(KEY_STORAGE);
    $("forget-key").hidden = true;
  }

  // ------------------------------------------------------------------ the label schema and the model

  async function loadSchema() {
    const banner = $("service-status");
    let response;
    try {
      response = await callApi("/axes");
    } catch (error) {
      banner.textContent = error.message;
      banner.hidden = false;
      setTimeout(loadSchema, RETRY_MS);
      return;
    }
    if (response.ok) {
      state.schema = await response.json();
      banner.hidden = true;
      renderModel();
      renderAxisDescriptions();
      return;
    }
    const { message } = await errorBody(response);
    banner.textContent = response.status === 503 ? t("loading") : serviceProblem(response.status, message);
    banner.hidden = false;
    if (response.status === 503) setTimeout(loadSchema, RETRY_MS);
  }

  function renderModel() {
    const model = state.schema?.model || state.result?.data.model;
    $("model-info").textContent = model ? t("model", model) : "";
  }

  function renderAxisDescriptions() {
    const list = $("axis-descriptions");
    list.replaceChildren();
    const axes = state.schema?.axes || [];
    for (const [index, entry] of axes.entries()) {
      const term = element("dt", `axis-${index}`);
      term.append(element("span", "swatch"), ` ${axisName(entry.axis)}`);
      list.append(term, element("dd", "", axisDescription(entry.axis, entry.description)));
    }
  }

  // ------------------------------------------------------------------ one proposal

  function element(tag, className = "", text = null) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== null) node.textContent = text;
    return node;
  }

  function characters(text) {
    return Array.from(text).length; // code points, as the service counts them
  }

  function updateCount() {
    const count = characters($("text").value);
    const counter = $("text-count");
    counter.textContent = t("textCount", { count: number(count), limit: number(limits.textChars) });
    counter.classList.toggle("over", count > limits.textChars);
  }

  async function classify(event) {
    event.preventDefault();
    clearFieldError("text");
    setStatus("text-status", "");
    const text = $("text").value;
    const button = $("classify");
    button.disabled = true;
    setStatus("text-status", t("classifying"));
    try {
      const response = await callApi("/classify", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, explain: true }),
      });
      if (response.ok) {
        state.result = { text, data: await response.json() };
        startCorrection();
        setStatus("text-status", "");
        renderResult();
        renderModel();
        $("result").hidden = false;
        return;
      }
      await reportTextError(response);
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      setStatus("text-status", error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  async function reportTextError(response) {
    setStatus("text-status", "");
    const { message, errors } = await errorBody(response);
    if (response.status === 400 || response.status === 413) $("result").hidden = true; // it was for another text
    const onText = errors.find((error) => Array.isArray(error.loc) && error.loc[0] === "text");
    if (onText) {
      if (onText.type === "string_too_long") {
        showFieldError("text", () => t("textTooLong", { limit: number(onText.ctx?.max_length ?? limits.textChars) }));
      } else if (onText.type === "string_too_short" || onText.type === "value_error") {
        showFieldError("text", () => t("textEmpty"));
      } else {
        showFieldError("text", message);
      }
    } else if (response.status === 400 || response.status === 413) {
      showFieldError("text", message);
    } else {
      setStatus("text-status", serviceProblem(response.status, message), true);
    }
  }

  function renderResult() {
    const { text, data } = state.result;
    const indexOf = new Map(data.axes.map((entry, index) => [entry.axis, index]));
    renderSelected(data, indexOf);
    $("language").textContent = data.language ? languageName(data.language) : t("languageUnknown");
    renderReview(data);
    renderBars(data);
    renderEvidence(text, data, indexOf);
    renderCorrection(indexOf);
  }

  function chip(axis, index) {
    const node = element("li", `chip axis-${index}`);
    node.append(element("span", "swatch"), axisName(axis));
    return node;
  }

  function renderSelected(data, indexOf) {
    const target = $("selected-axes");
    target.replaceChildren();
    if (!data.labels.length) {
      target.textContent = t("noAxis");
      return;
    }
    const chips = element("ul", "chips");
    for (const axis of data.labels) chips.append(chip(axis, indexOf.get(axis)));
    target.append(chips);
  }

  // The service's review reasons, said in the page's language; an unknown reason is shown as it came.
  function reviewReason(reason) {
    let match = reason.match(/^close to the threshold: (.+)$/);
    if (match) {
      const axes = match[1].split(",").map((axis) => axisName(axis.trim()));
      return t("reasonNear", { axes: axes.join(", ") });
    }
    match = reason.match(/^too short to judge \(fewer than (\d+) words\)$/);
    if (match) return t("reasonShort", { count: match[1] });
    if (reason === "language not recognised") return t("reasonLanguageUnknown");
    match = reason.match(/^language '([^']+)' not covered by the training data$/);
    if (match) return t("reasonLanguageUncovered", { language: languageName(match[1]) });
    return reason;
  }

  function renderReview(data) {
    const box = element("div", data.needs_review ? "review-box needed" : "review-box");
    if (data.needs_review) {
      box.append(element("p", "", t("reviewNeeded")));
      const reasons = element("ul");
      for (const reason of data.review_reasons) reasons.append(element("li", "", reviewReason(reason)));
      box.append(reasons);
    } else {
      box.append(element("p", "", t("reviewClear")));
    }
    $("review").replaceChildren(box);
  }

  function renderBars(data) {
    const descriptions = new Map((state.schema?.axes || []).map((entry) => [entry.axis, entry.description]));
    const list = $("bars");
    list.replaceChildren();
    for (const [index, entry] of data.axes.entries()) {
      const row = element("li", `axis axis-${index}${entry.selected ? " selected" : ""}`);
      row.dataset.axis = entry.axis;
      row.title = axisDescription(entry.axis, descriptions.get(entry.axis));

      const name = element("span", "axis-name");
      name.append(element("span", "swatch"), element("span", "axis-label", axisName(entry.axis)));
      if (entry.selected) name.append(element("span", "badge", t("selected")));

      const track = element("div", "track");
      track.setAttribute("role", "meter");
      track.setAttribute("aria-valuemin", "0");
      track.setAttribute("aria-valuemax", "1");
      track.setAttribute("aria-valuenow", String(entry.score));
      track.setAttribute(
        "aria-label",
        t("meter", {
          axis: axisName(entry.axis),
          score: percent(entry.score),
          threshold: percent(entry.threshold),
          state: entry.selected ? t("selected") : t("notSelected"),
        }),
      );
      const fill = element("div", "fill");
      fill.style.width = `${(Math.min(Math.max(entry.score, 0), 1) * 100).toFixed(2)}%`;
      const mark = element("div", "threshold");
      mark.style.left = `${(Math.min(Math.max(entry.threshold, 0), 1) * 100).toFixed(2)}%`;
      mark.title = t("threshold", { value: percent(entry.threshold) });
      track.append(fill, mark);

      const score = element("span", "axis-score", percent(entry.score));
      score.append(element("span", "axis-threshold-text", t("threshold", { value: percent(entry.threshold) })));

      row.append(name, track, score);
      list.append(row);
    }
  }

  // Offsets from the service count code points; JavaScript strings count UTF-16 units.
  function codeUnitOffsets(text) {
    const offsets = [0];
    let unit = 0;
    for (const character of text) {
      unit += character.length;
      offsets.push(unit);
    }
    return offsets;
  }

  function renderEvidence(text, data, indexOf) {
    const offsets = codeUnitOffsets(text);
    const spans = [];
    for (const [axis, sentences] of Object.entries(data.evidence || {})) {
      for (const sentence of sentences) {
        const start = offsets[Math.min(sentence.start, offsets.length - 1)];
        const end = offsets[Math.min(sentence.end, offsets.length - 1)];
        if (end > start) spans.push({ axis, start, end });
      }
    }
    const axesWithEvidence = [...new Set(spans.map((span) => span.axis))].sort(
      (a, b) => indexOf.get(a) - indexOf.get(b),
    );
    $("evidence-hint").textContent = data.labels.length ? t("evidenceHint") : t("evidenceNone");

    const legend = $("evidence-legend");
    legend.replaceChildren();
    for (const axis of axesWithEvidence) {
      const count = data.evidence[axis].length;
      const item = chip(axis, indexOf.get(axis));
      item.append(element("span", "count", `(${count})`));
      item.title = t("sentences", { count });
      legend.append(item);
    }

    // Cut the text at every span boundary; each piece is marked with all the axes whose spans cover it.
    const cuts = [...new Set([0, text.length, ...spans.flatMap((span) => [span.start, span.end])])].sort(
      (a, b) => a - b,
    );
    const target = $("highlighted");
    target.replaceChildren();
    for (let i = 0; i + 1 < cuts.length; i += 1) {
      const [from, to] = [cuts[i], cuts[i + 1]];
      const piece = text.slice(from, to);
      const covering = axesWithEvidence.filter((axis) =>
        spans.some((span) => span.axis === axis && span.start <= from && span.end >= to),
      );
      if (!covering.length) {
        target.append(piece);
        continue;
      }
      const mark = element("mark", `evidence axis-${indexOf.get(covering[0])}`, piece);
      mark.dataset.axes = covering.join(" ");
      mark.title = t("evidenceFor", { axes: covering.map(axisName).join(", ") });
      if (covering.length > 1) mark.style.background = stripes(covering.map((axis) => indexOf.get(axis)));
      target.append(mark);
    }
  }

  function stripes(indices) {
    const width = 8;
    const bands = indices.map(
      (index, n) => `var(--axis-${index}-tint) ${n * width}px ${(n + 1) * width}px`,
    );
    return `repeating-linear-gradient(135deg, ${bands.join(", ")})`;
  }

  async function loadTextFile(file) {
    clearFieldError("text");
    if (!TEXT_FILE.test(file.name)) {
      showFieldError("text", () => t("textWrongFile", { name: file.name }));
      return;
    }
    try {
      $("text").value = await file.text();
    } catch {
      showFieldError("text", () => t("textUnreadable", { name: file.name }));
      return;
    }
    updateCount();
  }

  // ------------------------------------------------------------------ correcting a result

  // A new result starts from the model's own axes; a language switch keeps what the reviewer ticked.
  function startCorrection() {
    state.correction = { labels: new Set(state.result.data.labels), saved: null };
    $("correction-comment").value = "";
    clearFieldError("correction-comment");
    setStatus("correction-status", "");
  }

  function renderCorrection(indexOf) {
    const { data } = state.result;
    const list = $("correction-axes");
    list.replaceChildren();
    for (const entry of data.axes) {
      const chosen = state.correction.labels.has(entry.axis);
      const item = element("li", `axis-${indexOf.get(entry.axis)}${chosen !== entry.selected ? " changed" : ""}`);
      item.dataset.axis = entry.axis;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `correct-${entry.axis}`;
      box.checked = chosen;
      box.addEventListener("change", () => {
        if (box.checked) state.correction.labels.add(entry.axis);
        else state.correction.labels.delete(entry.axis);
        item.classList.toggle("changed", box.checked !== entry.selected);
      });
      const label = element("label");
      label.htmlFor = box.id;
      label.append(box, element("span", "swatch"), axisName(entry.axis));
      if (entry.selected) label.append(element("span", "model-said", t("modelSaid")));
      item.append(label);
      list.append(item);
    }
    renderSavedCorrection();
  }

  function axisList(axes) {
    return axes.length ? axes.map(axisName).join(", ") : t("nothing");
  }

  // What the service stored, said back from its answer: the reviewer sees exactly what was recorded.
  function renderSavedCorrection() {
    const target = $("correction-saved");
    const saved = state.correction?.saved;
    target.hidden = !saved;
    if (!saved) {
      target.replaceChildren();
      return;
    }
    const lines = [t("correctionSaved", { id: saved.id, labels: axisList(saved.labels) })];
    lines.push(
      saved.added.length || saved.removed.length
        ? t("correctionChanges", { added: axisList(saved.added), removed: axisList(saved.removed) })
        : t("correctionConfirmed"),
    );
    if (saved.comment) lines.push(t("correctionComment", { comment: saved.comment }));
    target.replaceChildren(...lines.map((line) => element("p", "", line)));
  }

  async function saveCorrection(event) {
    event.preventDefault();
    clearFieldError("correction-comment");
    setStatus("correction-status", "");
    const comment = $("correction-comment").value.trim();
    if (characters(comment) > limits.commentChars) {
      showFieldError("correction-comment", () => t("commentTooLong", { limit: number(limits.commentChars) }));
      return;
    }
    const { text, data } = state.result;
    const labels = data.axes.map((entry) => entry.axis).filter((axis) => state.correction.labels.has(axis));
    const body = { text, labels, model_version: data.model.version };
    if (comment) body.comment = comment;
    const button = $("save-correction");
    button.disabled = true;
    setStatus("correction-status", t("savingCorrection"));
    try {
      const response = await callApi("/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      setStatus("correction-status", "");
      if (response.ok) {
        state.correction.saved = { ...(await response.json()), comment };
        renderSavedCorrection();
        return;
      }
      const { message, errors } = await errorBody(response);
      const field = errors.find((error) => Array.isArray(error.loc))?.loc[0];
      if (field === "comment") showFieldError("correction-comment", message);
      else if (response.status === 409) setStatus("correction-status", t("modelChanged"), true);
      else setStatus("correction-status", serviceProblem(response.status, message), true);
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      setStatus("correction-status", error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------ a file of proposals

  function chooseTable(file) {
    clearFieldError("table-file");
    state.tableFile = file;
    renderTableChoice();
    $("file-result").hidden = true;
  }

  function renderTableChoice() {
    const file = state.tableFile;
    $("table-file-name").textContent = file ? `${file.name} (${fileSize(file.size)})` : "";
  }

  // The service's refusal of a file, worded by the page when it knows the kind: [field, wording] or null.
  function fileRefusal(error, name) {
    const context = error.ctx || {};
    const quoted = (column) => `"${column}"`;
    const wordings = {
      missing: ["text-column", () => t("columnMissing")],
      column_not_found: [
        "text-column",
        () =>
          t("columnNotFound", {
            name,
            column: quoted(context.column),
            columns: (context.columns || []).map(quoted).join(", "),
          }),
      ],
      too_large: ["table-file", () => t("fileTooLarge", { name, size: fileSize(context.max_bytes) })],
      unsupported_format: ["table-file", () => t("fileWrongType", { name })],
      empty: ["table-file", () => t("fileEmpty", { name })],
      not_text: ["table-file", () => t("fileNotText", { name })],
      no_rows: ["table-file", () => t("fileNoRows", { name })],
      too_many_characters: [
        "table-file",
        () =>
          t("fileTooManyCharacters", {
            name,
            characters: number(context.characters),
            limit: number(context.max_characters),
          }),
      ],
    };
    return wordings[error.type] || null;
  }

  async function scoreFile(event) {
    event.preventDefault();
    clearFieldError("table-file");
    clearFieldError("text-column");
    setStatus("file-status", "");
    const file = state.tableFile;
    const column = $("text-column").value.trim();
    if (!file) {
      showFieldError("table-file", () => t("fileMissing"));
      return;
    }
    if (!column) {
      showFieldError("text-column", () => t("columnMissing"));
      return;
    }
    const button = $("score-file");
    button.disabled = true;
    setStatus("file-status", t("scoringFile"));
    try {
      const query = new URLSearchParams({ filename: file.name, text_column: column });
      const response = await callApi(`/classify_file?${query}`, {
        method: "POST",
        headers: { "Content-Type": file.type || "application/octet-stream" },
        body: file,
      });
      setStatus("file-status", "");
      if (response.ok) {
        await showScoredFile(response, file.name);
        return;
      }
      const { message, errors } = await errorBody(response);
      const error = errors.find((entry) => Array.isArray(entry.loc));
      const refusal = error && fileRefusal(error, file.name);
      if (refusal) showFieldError(...refusal);
      else if (error?.loc[0] === "text_column") showFieldError("text-column", message);
      else if (error || [400, 413, 415].includes(response.status)) showFieldError("table-file", message);
      else setStatus("file-status", serviceProblem(response.status, message), true);
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      setStatus("file-status", error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  function downloadName(response, uploaded) {
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = disposition.match(/filename\*=UTF-8''([^;]+)/i);
    if (match) return decodeURIComponent(match[1]);
    const dot = uploaded.lastIndexOf(".");
    return `${uploaded.slice(0, dot)}.labelled${uploaded.slice(dot)}`;
  }

  async function showScoredFile(response, uploaded) {
    const blob = await response.blob();
    if (state.fileResult) URL.revokeObjectURL(state.fileResult.url);
    const count = (name) => Number(response.headers.get(name) || 0);
    state.fileResult = {
      url: URL.createObjectURL(blob),
      name: downloadName(response, uploaded),
      rows: count("X-Axistag-Rows"),
      scored: count("X-Axistag-Scored"),
      errors: count("X-Axistag-Errors"),
      review: count("X-Axistag-Needs-Review"),
    };
    renderFileResult();
    $("file-result").hidden = false;
  }

  function renderFileResult() {
    const result = state.fileResult;
    $("file-summary").textContent = t("fileSummary", {
      rows: number(result.rows),
      scored: number(result.scored),
      errors: number(result.errors),
      review: number(result.review),
    });
    const link = $("download");
    link.href = result.url;
    link.download = result.name;
    link.textContent = t("download", { name: result.name });
  }

  // ------------------------------------------------------------------ tabs, drops, start

  function selectTab(tab) {
    for (const other of document.querySelectorAll('[role="tab"]')) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !chosen;
    }
  }

  function tabKeys(event) {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    const next = tabs[(tabs.indexOf(event.target) + (event.key === "ArrowRight" ? 1 : -1) + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  }

  function acceptDrops(zone, onFile) {
    zone.addEventListener("dragover", (event) => {
      if (!event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      zone.classList.remove("dragging");
      if (!event.dataTransfer.files.length) return;
      event.preventDefault();
      onFile(event.dataTransfer.files[0]);
    });
  }

  function start() {
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.addEventListener("click", () => setLanguage(button.dataset.lang));
    }
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener("click", () => selectTab(tab));
      tab.addEventListener("keydown", tabKeys);
    }
    $("key-form").addEventListener("submit", useKey);
    $("forget-key").addEventListener("click", forgetKey);
    $("forget-key").hidden = !storedKey();
    $("text-form").addEventListener("submit", classify);
    $("text").addEventListener("input", () => {
      updateCount();
      clearFieldError("text");
    });
    $("text-file").addEventListener("change", (event) => {
      if (event.target.files.length) loadTextFile(event.target.files[0]);
      event.target.value = "";
    });
    acceptDrops($("text-drop"), loadTextFile);
    $("table-file").addEventListener("change", (event) => chooseTable(event.target.files[0] || null));
    acceptDrops($("file-drop"), chooseTable);
    $("text-column").addEventListener("input", () => clearFieldError("text-column"));
    $("file-form").addEventListener("submit", scoreFile);
    $("correction-form").addEventListener("submit", saveCorrection);
    $("correction-comment").addEventListener("input", () => clearFieldError("correction-comment"));
    applyLanguage();
    loadSchema();
  }

  start();
})();
