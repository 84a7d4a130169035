// <link rel="modulepreload"> for browsers that ignore it: `prebundle build` bundles this file
// where an entry imports "/@prebundle/modulepreload-polyfill.js" (the daemon answers that URL
// with an empty module). Where modulepreload is supported it does nothing. Elsewhere it fetches
// each modulepreload link already in the page, and each one added later, with the link's own
// integrity, referrer policy and credentials, so the module request that follows is served
// from the HTTP cache instead of waiting for the network.
(() => {
  const probe = document.createElement("link").relList;
  if (probe && probe.supports && probe.supports("modulepreload")) return;

  const fetched = new WeakSet();

  const requestOptions = (link) => {
    const options = {};
    if (link.integrity) options.integrity = link.integrity;
    if (link.referrerPolicy) options.referrerPolicy = link.referrerPolicy;
    const crossOrigin = link.getAttribute("crossorigin");
    if (crossOrigin === "use-credentials") options.credentials = "include";
    else if (crossOrigin !== null) options.credentials = "omit";
    else options.credentials = "same-origin";
    return options;
  };

  const preload = (link) => {
    if (fetched.has(link) || !link.href) return;
    fetched.add(link);
    // A failed preload is not the page's failure: the module import reports it, if it matters.
    fetch(link.href, requestOptions(link)).catch(() => {});
  };

  const isModulePreload = (node) =>
    node.nodeType === 1 && node.tagName === "LINK" && /(^|\s)modulepreload(\s|$)/i.test(node.rel);

  for (const link of document.querySelectorAll('link[rel~="modulepreload"]')) preload(link);

  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (isModulePreload(node)) preload(node);
        else if (node.nodeType === 1) node.querySelectorAll('link[rel~="modulepreload"]').forEach(preload);
      }
    }
  }).observe(document, { childList: true, subtree: true });
})();
