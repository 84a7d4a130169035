// Generated from bench/app/specifiers.txt: one namespace import per bare specifier.

import * as dep0 from 'react';
import * as dep1 from 'react/jsx-runtime';
import * as dep2 from 'react/jsx-dev-runtime';
import * as dep3 from 'react-dom';
import * as dep4 from 'react-dom/client';
import * as dep5 from '@mui/material';
import * as dep6 from '@mui/material/Button';
import * as dep7 from '@mui/material/styles';
import * as dep8 from '@emotion/react';
import * as dep9 from '@emotion/styled';
import * as dep10 from 'lodash-es';
import * as dep11 from 'lodash/debounce';
import * as dep12 from 'lodash/throttle';
import * as dep13 from 'date-fns';
import * as dep14 from 'date-fns/locale';
import * as dep15 from 'dayjs';
import * as dep16 from 'dayjs/plugin/relativeTime';
import * as dep17 from 'moment';
import * as dep18 from 'axios';
import * as dep19 from 'rxjs';
import * as dep20 from 'rxjs/operators';
import * as dep21 from 'three';
import * as dep22 from 'three/addons/controls/OrbitControls.js';
import * as dep23 from 'd3';
import * as dep24 from 'chart.js';
import * as dep25 from 'chart.js/auto';
import * as dep26 from 'vue';
import * as dep27 from 'preact';
import * as dep28 from 'preact/hooks';
import * as dep29 from 'immer';
import * as dep30 from '@reduxjs/toolkit';
import * as dep31 from '@reduxjs/toolkit/query/react';
import * as dep32 from 'redux';
import * as dep33 from 'react-redux';
import * as dep34 from 'uuid';
import * as dep35 from 'nanoid';
import * as dep36 from 'marked';
import * as dep37 from 'highlight.js/lib/core';
import * as dep38 from 'highlight.js/lib/languages/javascript';
import * as dep39 from 'lit';
import * as dep40 from 'lit/decorators.js';
import * as dep41 from 'mobx';
import * as dep42 from 'jquery';
import * as dep43 from 'zustand';
import * as dep44 from 'zustand/middleware';
import * as dep45 from 'classnames';
import * as dep46 from 'clsx';
import * as dep47 from 'prop-types';
import * as dep48 from 'react-router-dom';
import * as dep49 from '@tanstack/react-query';
import * as dep50 from 'zod';
import * as dep51 from 'yup';
import * as dep52 from 'react-hook-form';
import * as dep53 from 'framer-motion';
import * as dep54 from 'i18next';
import * as dep55 from 'qs';
import * as dep56 from 'luxon';
import * as dep57 from 'mitt';
import * as dep58 from 'dompurify';

const deps = {
  'react': dep0,
  'react/jsx-runtime': dep1,
  'react/jsx-dev-runtime': dep2,
  'react-dom': dep3,
  'react-dom/client': dep4,
  '@mui/material': dep5,
  '@mui/material/Button': dep6,
  '@mui/material/styles': dep7,
  '@emotion/react': dep8,
  '@emotion/styled': dep9,
  'lodash-es': dep10,
  'lodash/debounce': dep11,
  'lodash/throttle': dep12,
  'date-fns': dep13,
  'date-fns/locale': dep14,
  'dayjs': dep15,
  'dayjs/plugin/relativeTime': dep16,
  'moment': dep17,
  'axios': dep18,
  'rxjs': dep19,
  'rxjs/operators': dep20,
  'three': dep21,
  'three/addons/controls/OrbitControls.js': dep22,
  'd3': dep23,
  'chart.js': dep24,
  'chart.js/auto': dep25,
  'vue': dep26,
  'preact': dep27,
  'preact/hooks': dep28,
  'immer': dep29,
  '@reduxjs/toolkit': dep30,
  '@reduxjs/toolkit/query/react': dep31,
  'redux': dep32,
  'react-redux': dep33,
  'uuid': dep34,
  'nanoid': dep35,
  'marked': dep36,
  'highlight.js/lib/core': dep37,
  'highlight.js/lib/languages/javascript': dep38,
  'lit': dep39,
  'lit/decorators.js': dep40,
  'mobx': dep41,
  'jquery': dep42,
  'zustand': dep43,
  'zustand/middleware': dep44,
  'classnames': dep45,
  'clsx': dep46,
  'prop-types': dep47,
  'react-router-dom': dep48,
  '@tanstack/react-query': dep49,
  'zod': dep50,
  'yup': dep51,
  'react-hook-form': dep52,
  'framer-motion': dep53,
  'i18next': dep54,
  'qs': dep55,
  'luxon': dep56,
  'mitt': dep57,
  'dompurify': dep58,
};

for (const [name, mod] of Object.entries(deps)) {
  console.log(name, Object.keys(mod).length);
}

// The ready marker bench/page_load.py waits for: every import above has run.
document.body.dataset.ready = '1';
