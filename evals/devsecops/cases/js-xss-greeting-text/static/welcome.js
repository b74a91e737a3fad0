document.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(window.location.search);
  const name = params.get("name") || "there";
  const banner = document.getElementById("greeting");
  banner.innerHTML = "";
  const strong = document.createElement("strong");
  strong.textContent = `Hello, ${name}!`;
  banner.append(strong, " Welcome to your workspace.");
  banner.hidden = false;
});
