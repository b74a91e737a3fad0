const REFRESH_MS = 5000;

async function refreshQuotes(symbols) {
  const resp = await fetch("/api/quotes?symbols=" + encodeURIComponent(symbols.join(",")));
  const quotes = JSON.parse(await resp.text());
  for (const q of quotes) {
    document.querySelector(`[data-symbol="${q.symbol}"] .price`).textContent = q.price.toFixed(2);
  }
}

function startPolling(symbols) {
  setTimeout(() => refreshQuotes(symbols), 0);
  return setInterval(refreshQuotes, REFRESH_MS, symbols);
}

window.startPolling = startPolling;
