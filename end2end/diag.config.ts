// TEMPORARY (diagnosis only; deleted afterwards): serve a site copy that has retail_bg.wasm too.
import base from './playwright.config';
const web = base.webServer as Record<string, any>;
export default { ...base, webServer: { ...web, env: { ...web.env, LEPTOS_SITE_ROOT: '/tmp/diag/site' } } };
